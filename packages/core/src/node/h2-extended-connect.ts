import type { Http2ServerRequest, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AnyHttp2Server } from './h2-attach.js';

// Several parts of wsgate may serve extended CONNECT (RFC 8441) on one HTTP/2 server: endpoints
// attached with `WebSocketServer.attach`, an adapter's bridge, a router. Each holds the setting
// while it listens; the last one to stop takes it back for the sessions that start afterwards.

const holders = new WeakMap<AnyHttp2Server, number>();

/**
 * Advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) to the sessions `http2` starts from
 * now on, until every holder has released it. Returns the release.
 */
export function holdConnectProtocol(http2: AnyHttp2Server): () => void {
  const count = holders.get(http2) ?? 0;
  holders.set(http2, count + 1);
  if (count === 0) http2.updateSettings({ enableConnectProtocol: true });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (holders.get(http2) ?? 1) - 1;
    if (left > 0) {
      holders.set(http2, left);
      return;
    }
    holders.delete(http2);
    // Sessions that got the setting keep it (RFC 8441 §3 forbids taking it back); new ones do not.
    http2.updateSettings({ enableConnectProtocol: false });
  };
}

export type ExtendedConnectListener = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
) => void;

/**
 * The extended CONNECT is taken from the 'stream' event (see onExtendedConnect). A plain CONNECT
 * (a TCP tunnel) that no other listener takes gets what Node gives it without listeners: 405.
 */
function leaveToStreamListener(this: AnyHttp2Server, request: Http2ServerRequest): void {
  if (request.headers[':protocol'] !== undefined || this.listenerCount('connect') > 1) return;
  request.stream.respond({ ':status': 405 }, { endStream: true });
}

/**
 * Calls `listener` with each extended CONNECT stream (a CONNECT with `:protocol`) of `http2`,
 * advertising the setting meanwhile. Returns a function that stops.
 */
export function onExtendedConnect(
  http2: AnyHttp2Server,
  listener: ExtendedConnectListener,
): () => void {
  const release = holdConnectProtocol(http2);
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined)
      listener(stream, headers);
  };
  http2.on('stream', onStream);
  // With Node's compatibility API (a 'request' listener) a CONNECT also comes as 'connect',
  // answered 405 by Node when nobody listens: this listener keeps Node from answering ours.
  http2.on('connect', leaveToStreamListener);
  return () => {
    http2.off('stream', onStream);
    http2.off('connect', leaveToStreamListener);
    release();
  };
}
