import { openRawWebSocket, type RawWebSocket, rawRequest } from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/index.js';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from '../../src/node/server.js';

const servers: WebSocketServer[] = [];
const raws: RawWebSocket[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  for (const server of servers.splice(0)) await server.close({ timeoutMs: 200 });
});

describe('the per-address connection limit by default', () => {
  it('refuses the 257th connection from one address with 503 and lets the 256th in', async () => {
    expect(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS).toBe(256);
    const server = await createServer({
      port: 0,
      perMessageDeflate: false,
      heartbeatIntervalMs: 0,
    });
    servers.push(server);
    const port = server.address()?.port ?? 0;
    for (let i = 0; i < 256; i++) {
      const raw = await openRawWebSocket(port, { path: '/' });
      raws.push(raw);
      expect(raw.response.status).toBe(101);
    }
    const refused = await rawRequest(port, { path: '/' });
    expect(refused.status).toBe(503);
    expect(refused.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT');
    expect(server.clients.size).toBe(256);
  });

  it('is lifted by maxConnectionsPerAddress: 0', async () => {
    const server = await createServer({
      port: 0,
      perMessageDeflate: false,
      heartbeatIntervalMs: 0,
      maxConnectionsPerAddress: 0,
    });
    servers.push(server);
    const port = server.address()?.port ?? 0;
    for (let i = 0; i < 257; i++) {
      const raw = await openRawWebSocket(port, { path: '/' });
      raws.push(raw);
      expect(raw.response.status).toBe(101);
    }
  });
});
