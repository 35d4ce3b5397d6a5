import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogEvent } from '@wsgate/core';
import express from 'express';
import express4 from 'express4';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import {
  type AttachedWebSockets,
  attachWebSockets,
  type ExpressWebSocketOptions,
} from '../src/index.js';

/**
 * Every behaviour is tested on Express 5 and Express 4. Both are driven through the Express 5
 * typings here; test/typings.ts checks the adapter against each major's own typings.
 */
export const flavours = [
  { name: 'Express 5', express, major: 5 },
  { name: 'Express 4', express: express4 as unknown as typeof express, major: 4 },
] as const;

export type Flavour = (typeof flavours)[number];

export interface Served {
  readonly port: number;
  readonly ws: string;
  readonly http: string;
  readonly server: Server;
  readonly sockets: AttachedWebSockets;
  readonly logs: LogEvent[];
}

const running: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
});

/**
 * Listens on 127.0.0.1, port 0, with the app's WebSockets attached; `before` and `after` may add
 * other upgrade listeners around the adapter's. Closed after each test.
 */
export async function serve(
  app: express.Express,
  options: ExpressWebSocketOptions = {},
  around: { before?: (server: Server) => void; after?: (server: Server) => void } = {},
): Promise<Served> {
  const server = createServer(app);
  const logs: LogEvent[] = [];
  around.before?.(server);
  const sockets = attachWebSockets(server, app, {
    ...options,
    onLog: (event) => {
      logs.push(event);
      options.onLog?.(event);
    },
  });
  around.after?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  running.push(async () => {
    await sockets.close({ timeoutMs: 500 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port,
    ws: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    server,
    sockets,
    logs,
  };
}

interface Inbox {
  readonly messages: Array<{ data: Buffer; isBinary: boolean }>;
  readonly waiters: Array<() => void>;
}
const inboxes = new WeakMap<WebSocket, Inbox>();

/**
 * Opens a `ws` client and records its messages from the start: a message sent by a handler as
 * soon as it accepts can arrive before an `await` on the open event resumes.
 */
export function open(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocols: string[] = [],
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    const inbox: Inbox = { messages: [], waiters: [] };
    inboxes.set(socket, inbox);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      inbox.messages.push({ data, isBinary });
      for (const waiter of inbox.waiters.splice(0)) waiter();
    });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`handshake answered ${response.statusCode}`)),
    );
  });
}

/** The next message the client received (text decoded), in order. */
export async function nextMessage(socket: WebSocket): Promise<string> {
  return (await nextFrame(socket)).data.toString();
}

export async function nextFrame(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const inbox = inboxes.get(socket);
  if (inbox === undefined) throw new Error('open the client with open()');
  while (inbox.messages.length === 0)
    await new Promise<void>((resolve) => inbox.waiters.push(resolve));
  return inbox.messages.shift() as { data: Buffer; isBinary: boolean };
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
