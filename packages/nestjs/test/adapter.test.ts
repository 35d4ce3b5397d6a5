import 'reflect-metadata';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import * as adapter from '../src/index.js';
import { adapterBehaviourSuite } from './behaviour-suite.js';
import { nest12, version } from './nest12.js';

const require = createRequire(import.meta.url);

it('runs against NestJS 12, which is ESM only', () => {
  expect(version).toMatch(/^12\./);
  expect(require('@nestjs/common/package.json').type).toBe('module');
});

adapterBehaviourSuite(nest12);

it('closes a client that connects before the app has started with 1013 WSG_SERVER_STARTING', async () => {
  const http = createServer();
  const wsgate = new adapter.WsgateAdapter(http);
  const server = wsgate.create(0, { path: '/starting' });
  // What Nest does for a connection that arrives before the gateway's providers are ready.
  wsgate.bindClientConnect(server, (client) => wsgate.closeClient(client as adapter.WsgateClient));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = http.address() as AddressInfo;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/starting`);
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      socket.once('close', (closeCode: number, why: Buffer) => resolve([closeCode, String(why)])),
    );
    expect(code).toBe(1013);
    expect(reason).toMatch(/^WSG_SERVER_STARTING: /);
  } finally {
    await wsgate.dispose();
    await new Promise((resolve) => http.close(resolve));
  }
});
