import { createServer } from 'node:net';
import WebSocket from 'ws';

/** A message as the test client saw it: JSON for text, bytes for binary. */
export interface Received {
  readonly isBinary: boolean;
  readonly text: string;
  readonly bytes: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: tests read fields of JSON they just received.
  readonly json: any;
}

/** A `ws` client whose listeners exist from the start, so no early message is missed. */
export interface TestClient {
  readonly socket: WebSocket;
  /** The next message, or a rejection naming what did arrive. */
  next(timeoutMs?: number): Promise<Received>;
  /** The next message with this event, skipping others (broadcasts from other tests). */
  nextEvent(event: string, timeoutMs?: number): Promise<Received>;
  /** Sends JSON `{ event, data }`. */
  emit(event: string, data?: unknown): void;
  readonly closed: Promise<{ code: number; reason: string }>;
}

export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const socket = new WebSocket(url, options);
  const queue: Received[] = [];
  const waiters: ((message: Received) => void)[] = [];
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    const text = isBinary ? '' : data.toString('utf8');
    let json: unknown;
    try {
      json = isBinary ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const message = { isBinary, text, bytes: data, json };
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
  const client: TestClient = {
    socket,
    closed,
    emit: (event, data) => socket.send(JSON.stringify({ event, data })),
    nextEvent: async (event, timeoutMs) => {
      for (;;) {
        const message = await client.next(timeoutMs);
        if (message.json?.event === event) return message;
      }
    },
    next: (timeoutMs = 3_000) => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(onMessage), 1);
          reject(new Error(`no message within ${timeoutMs} ms on ${url}`));
        }, timeoutMs);
        const onMessage = (message: Received): void => {
          clearTimeout(timer);
          resolve(message);
        };
        waiters.push(onMessage);
      });
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

/** Why a handshake failed, as the `ws` client reports it (status of the refusal). */
export function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`${url} was accepted`));
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => {});
  });
}

/** A port that was free a moment ago, for a gateway with a port of its own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Closes clients and waits until they are closed, so that the next test starts clean. */
export async function finish(...clients: TestClient[]): Promise<void> {
  for (const client of clients) client.socket.close();
  await Promise.all(clients.map((client) => client.closed));
}
