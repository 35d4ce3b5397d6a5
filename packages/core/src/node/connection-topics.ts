import type { TopicHub } from '../topics/topic-hub.js';
import type { ConnectionSettings } from './connection-options.js';

/** The topics of the server that accepted the connection (see topics/topic-hub.ts). */
export function topicHubOf(settings: ConnectionSettings): TopicHub {
  const hub = settings.topics;
  if (hub === undefined)
    throw new TypeError('topics need a connection accepted by a WebSocketServer');
  return hub;
}
