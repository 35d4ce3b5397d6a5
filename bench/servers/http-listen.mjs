/** Shared by the adapter servers: an http server with Nagle off, listening on host:port. */
import { createServer } from 'node:http';

export async function listenHttp(handler, { host, port }) {
  const server = createServer({ noDelay: true }, handler);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

/**
 * What every echo or broadcast server does with a message. `send(peer, data, isBinary)` is the
 * library's own send; `clients` is the set to broadcast to.
 */
export function relay(mode, clients, send) {
  return mode === 'broadcast'
    ? (_from, data, isBinary) => {
        for (const peer of clients) send(peer, data, isBinary);
      }
    : (from, data, isBinary) => send(from, data, isBinary);
}

export function ignoreError() {}
