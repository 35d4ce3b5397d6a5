import { fileURLToPath } from 'node:url';
import {
  demoBrowserSuite,
  demoContractSuite,
  launchChromium,
  type RunningDemo,
  rawRequest,
  startDemo,
} from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const appDir = fileURLToPath(new URL('..', import.meta.url));

demoContractSuite('nest-demo', appDir);
demoBrowserSuite('nest-demo', appDir);

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

describe('nest-demo explains a refused attempt on the page', () => {
  let demo: RunningDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    demo = await startDemo(appDir);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('shows WSG_PATH_NOT_FOUND, its cause and its fix for an unknown path', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${demo.url}/`);
    await page.getByTestId('try-path').fill('/no-such-path');
    await page.getByTestId('try').click();
    await page
      .getByTestId('diagnosis-code')
      .filter({ hasText: 'WSG_PATH_NOT_FOUND' })
      .waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('diagnosis-result').innerText()).toContain('answered 404');
    expect(await page.getByTestId('diagnosis-fix').innerText()).toContain('Connect to a path');
    await page.context().close();
  });
});

describe('nest-demo with DEMO_TOKEN', () => {
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(appDir, { DEMO_TOKEN: 's3cret' });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('refuses /chat without a token at the handshake with 401 and WWW-Authenticate', async () => {
    const response = await rawRequest(demo.port, { path: '/chat' });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="chat"');
    expect(response.headers['x-wsgate-error']).toBe('WSG_AUTH_REQUIRED');
    expect(response.body).toContain('the chat needs ?token=');
  });

  it('refuses a wrong token with 403 WSG_FORBIDDEN', async () => {
    const response = await rawRequest(demo.port, { path: '/chat?token=guess' });
    expect(response.status).toBe(403);
    expect(response.headers['x-wsgate-error']).toBe('WSG_FORBIDDEN');
  });

  it('accepts the right token, and leaves /echo open', async () => {
    const chat = await open(`ws://127.0.0.1:${demo.port}/chat?token=s3cret`);
    const welcome = nextJson(chat);
    chat.send(JSON.stringify({ event: 'join', data: { name: 'Ada' } }));
    expect((await welcome).event).toBe('welcome');
    chat.close();
    const echo = await open(`ws://127.0.0.1:${demo.port}/echo`);
    echo.close();
  });
});
