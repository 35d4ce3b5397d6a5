import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { closeHttpServer, launchChromium, listenOnLoopback } from '@wsgate/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandshakeRequest, WebSocketServer } from '../../src/index.js';

// Chromium (Debian's, headless) as a client of a wsgate server: permessage-deflate is
// negotiated with the browser's own offer, and text and binary messages of 0 B to 16 MiB go
// both ways compressed. Messages are made and compared inside the page, so only results cross
// the DevTools protocol.

const MiB = 1024 * 1024;
const SIZES = [0, 1, 125, 126, 1_000, 65_535, 65_536, MiB, 16 * MiB];

type Browser = Awaited<ReturnType<typeof launchChromium>>;

interface PageOutcome {
  readonly extensions: string;
  readonly protocol: string;
  readonly results: ReadonlyArray<{ kind: string; size: number; ok: boolean; detail: string }>;
  readonly close: { code: number; reason: string; wasClean: boolean };
}

/** Runs in the page: echo every message through the server and compare what comes back. */
async function echoInPage(input: { url: string; sizes: number[] }): Promise<PageOutcome> {
  const socket = new WebSocket(input.url);
  socket.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`could not open ${input.url}`));
  });
  const queue: unknown[] = [];
  const waiting: Array<(data: unknown) => void> = [];
  socket.onmessage = (event) => {
    const waiter = waiting.shift();
    if (waiter === undefined) queue.push(event.data);
    else waiter(event.data);
  };
  const next = (): Promise<unknown> =>
    queue.length > 0
      ? Promise.resolve(queue.shift())
      : new Promise((resolve) => waiting.push(resolve));
  const words = ['socket ', 'frame ', 'deflate ', 'window ', 'context ', 'message ', 'ping '];
  const textOf = (size: number): string => {
    const parts: string[] = [];
    let length = 0;
    for (let i = 0; length < size; i++) {
      const word = words[(i * 7 + (i >> 3)) % words.length] as string;
      parts.push(word);
      length += word.length;
    }
    return parts.join('').slice(0, size);
  };
  const patternOf = (size: number): Uint8Array => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
    return bytes;
  };
  const noiseOf = (size: number): Uint8Array => {
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 65_536)
      crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
    return bytes;
  };
  const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const results: Array<{ kind: string; size: number; ok: boolean; detail: string }> = [];
  for (const size of input.sizes) {
    const text = textOf(size);
    const t0 = performance.now();
    socket.send(text);
    const echoedText = await next();
    results.push({
      kind: 'text',
      size,
      ok: typeof echoedText === 'string' && echoedText === text,
      detail: `${typeof echoedText === 'string' ? `${echoedText.length} chars` : typeof echoedText} ${Math.round(performance.now() - t0)}ms`,
    });
    for (const [kind, bytes] of [
      ['binary', patternOf(size)],
      ['random binary', noiseOf(Math.min(size, 1024 * 1024))],
    ] as const) {
      const t1 = performance.now();
      socket.send(bytes);
      const echoed = await next();
      const t2 = performance.now();
      results.push({
        kind,
        size: bytes.length,
        ok: echoed instanceof ArrayBuffer && sameBytes(new Uint8Array(echoed), bytes),
        detail: `${echoed instanceof ArrayBuffer ? `${echoed.byteLength} bytes` : typeof echoed} ${Math.round(t2 - t1)}ms`,
      });
    }
  }
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    socket.onclose = (event) =>
      resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  });
  socket.close(4000, 'chromium says bye');
  return { extensions: socket.extensions, protocol: socket.protocol, results, close: await closed };
}

describe('Chromium as a client of a wsgate server, with permessage-deflate', () => {
  const http = createHttpServer((_request, response) => {
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>wsgate interop</title>');
  });
  const wss = new WebSocketServer({ path: '/echo', heartbeatIntervalMs: 0 });
  const sockets: Socket[] = [];
  const requests: HandshakeRequest[] = [];
  const serverCloses: Array<{ code: number; reason: string }> = [];
  const extensions: string[] = [];
  let browser: Browser | undefined;
  let outcome: PageOutcome | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    http.on('connection', (socket) => sockets.push(socket));
    wss.attach(http);
    wss.on('connection', (connection, request) => {
      requests.push(request);
      extensions.push(connection.extensions);
      connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
      connection.on('close', (code, reason) => serverCloses.push({ code, reason }));
    });
    const port = await listenOnLoopback(http);
    // Kept and thrown by each test, so that a missing Chromium fails them rather than skips them.
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      outcome = await page.evaluate(echoInPage, {
        url: `ws://127.0.0.1:${port}/echo`,
        sizes: SIZES,
      });
    } catch (error) {
      setupError = error;
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await wss.close({ timeoutMs: 500 });
    await closeHttpServer(http);
  });

  function result(): PageOutcome {
    if (setupError !== undefined) throw setupError;
    return outcome as PageOutcome;
  }

  it("accepts Chromium's permessage-deflate offer", () => {
    const page = result();
    expect(requests[0]?.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate\b/);
    expect(extensions).toEqual(['permessage-deflate']);
    expect(page.extensions).toBe('permessage-deflate');
  });

  it('echoes text and binary messages of 0 B to 16 MiB, each as it was sent', () => {
    const failed = result().results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    expect(result().results).toHaveLength(SIZES.length * 3);
  });

  it('compresses on the wire in both directions', () => {
    result();
    // Over 34 MiB of compressible text and bytes crossed each way (and 3 MiB of noise).
    const read = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
    const written = sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0);
    expect(read).toBeLessThan(8 * MiB);
    expect(written).toBeLessThan(8 * MiB);
  });

  it("closes cleanly with the page's code and reason on both sides", () => {
    expect(result().close).toEqual({ code: 4000, reason: '', wasClean: true });
    expect(serverCloses).toEqual([{ code: 4000, reason: 'chromium says bye' }]);
  });
});
