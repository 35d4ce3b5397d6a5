import { importWsgate } from '../../servers/wsgate-packages.mjs';

/**
 * wsgate as `wsgate echo` runs it (permessage-deflate on, its defaults), plus the demos' /chat:
 * every member subscribes to one topic, and each message a member sends is published to it.
 */
export async function start(options) {
  const { createServer } = await importWsgate('core');
  return startWith(createServer, options);
}

/** The same server on any build of core (see wsgate-before.mjs). */
export async function startWith(createServer, { host, port }) {
  const server = await createServer({
    host,
    port,
    textAs: 'buffer',
    maxMessageBytes: 16 * 1024 * 1024,
    maxConnectionsPerAddress: 0,
  });
  server.on('connection', (connection, request) => {
    if (request.url?.startsWith('/chat')) {
      void connection.subscribe('chat');
      connection.on('message', (data, isBinary) => {
        void server.publish('chat', data, { binary: isBinary });
      });
      return;
    }
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
  });
  return { port: server.address()?.port, info: { perMessageDeflate: 'default (on)' } };
}
