import { fileURLToPath } from 'node:url';
import {
  demoBrowserSuite,
  demoContractSuite,
  demoHostileSuite,
  type RunningDemo,
  startDemo,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const appDir = fileURLToPath(new URL('..', import.meta.url));

demoContractSuite('nest-demo', appDir);
demoBrowserSuite('nest-demo', appDir);
demoHostileSuite('nest-demo', appDir);

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextJson(socket: WebSocket): Promise<{ event: string; data: Record<string, unknown> }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))),
  );
}

describe('nest-demo as a NestJS application', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(appDir);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('names its framework on GET /framework', async () => {
    const response = await fetch(`${demo.url}/framework`);
    expect(await response.text()).toMatch(/^NestJS 12\.\d+\.\d+$/);
  });

  it('answers a /chat message that is not JSON with the taxonomy error message', async () => {
    const socket = await open(`ws://127.0.0.1:${demo.port}/chat`);
    const reply = nextJson(socket);
    socket.send('hello?');
    expect(await reply).toMatchObject({
      event: 'error',
      data: { code: 'WSG_MESSAGE_MALFORMED' },
    });
    socket.close();
  });

  it('answers an unknown /chat event with WSG_EVENT_UNHANDLED', async () => {
    const socket = await open(`ws://127.0.0.1:${demo.port}/chat`);
    const reply = nextJson(socket);
    socket.send(JSON.stringify({ event: 'shout', data: {} }));
    const { data } = await reply;
    expect(data.code).toBe('WSG_EVENT_UNHANDLED');
    expect(data.message).toContain('"join"');
    socket.close();
  });
});
