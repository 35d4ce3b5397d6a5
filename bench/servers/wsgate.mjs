import { importWsgate } from './wsgate-packages.mjs';

/**
 * wsgate's standalone server (its own net server): text delivered as Buffers so that the echo
 * preserves the type without decoding, permessage-deflate off (the load generator does not offer
 * it), and a connection cap above the idle-memory workload's 10,000.
 */
export async function start(options) {
  const { createServer } = await importWsgate('core');
  return startWith(createServer, options);
}

/** The same server, made by the `createServer` of any build of core (see wsgate-before.mjs). */
export async function startWith(createServer, { host, port, mode }) {
  const server = await createServer({
    host,
    port,
    textAs: 'buffer',
    perMessageDeflate: false,
    maxConnections: 1_000_000,
    // Every connection of the load generator comes from 127.0.0.1.
    maxConnectionsPerAddress: 0,
    maxMessageBytes: 64 * 1024 * 1024,
  });
  if (mode === 'broadcast') {
    server.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => {
        for (const client of server.clients) client.send(data, { binary: isBinary });
      });
    });
  } else {
    server.on('connection', (connection) => {
      connection.on('message', (data, isBinary) => {
        connection.send(data, { binary: isBinary });
      });
    });
  }
  return {
    port: server.address()?.port,
    connections: () => server.clients.size,
    info: { perMessageDeflate: false, textAs: 'buffer' },
  };
}
