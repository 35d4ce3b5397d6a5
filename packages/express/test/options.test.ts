import { openRawWebSocket, rawRequest } from '@wsgate/test-kit';
import { describe, expect, it } from 'vitest';
import { websocket } from '../src/index.js';
import { flavours, open, serve } from './helpers.js';

// Declared once, as a route would declare them.
const chatV2 = { subprotocols: ['chat.v2'] } as const;
const beating = { heartbeatIntervalMs: 50 } as const;

describe.each(flavours)('$name: core options per app and per route', ({ express }) => {
  function echoRoute(options?: Parameters<typeof websocket>[1]) {
    return websocket((connection) => {
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
    }, options);
  }

  it("negotiates a route's own subprotocols, and the app's elsewhere", async () => {
    const app = express();
    app.get('/chat', echoRoute(chatV2));
    app.get('/other', echoRoute());
    const { ws } = await serve(app, { subprotocols: ['chat.v1'] });
    const chat = await open(`${ws}/chat`, {}, ['chat.v1', 'chat.v2']);
    expect(chat.protocol).toBe('chat.v2');
    chat.close();
    const other = await open(`${ws}/other`, {}, ['chat.v1', 'chat.v2']);
    expect(other.protocol).toBe('chat.v1');
    other.close();
  });

  it("pings on the app's heartbeat interval, and on a route's own", async () => {
    const app = express();
    app.get('/app-beat', echoRoute());
    app.get('/route-beat', echoRoute(beating));
    const quiet = await serve(app, { heartbeatIntervalMs: 60_000 });
    const onRoute = await openRawWebSocket(quiet.port, { path: '/route-beat' });
    expect((await onRoute.waitForFrames(1, 2_000))[0]?.opcode).toBe(0x9);
    const onApp = await openRawWebSocket(quiet.port, { path: '/app-beat' });
    expect(await onApp.waitForFrames(1, 300)).toEqual([]);
    onRoute.destroy();
    onApp.destroy();

    const beatingApp = express();
    beatingApp.get('/app-beat', echoRoute());
    const fast = await serve(beatingApp, { heartbeatIntervalMs: 50 });
    const raw = await openRawWebSocket(fast.port, { path: '/app-beat' });
    expect((await raw.waitForFrames(1, 2_000))[0]?.opcode).toBe(0x9);
    raw.destroy();
  });

  it("counts a route's maxConnections for that route alone", async () => {
    const app = express();
    app.get('/one', echoRoute({ maxConnections: 1 }));
    app.get('/many', echoRoute());
    const { ws, port } = await serve(app);
    const first = await open(`${ws}/one`);
    const second = await rawRequest(port, { path: '/one' });
    expect(second.status).toBe(503);
    expect(second.headers['x-wsgate-error']).toBe('WSG_TOO_MANY_CONNECTIONS');
    const elsewhere = await open(`${ws}/many`);
    elsewhere.close();
    first.close();
  });
});
