import { waitFor } from '@wsgate/test-kit';
import {
  createServer,
  type LogEvent,
  type ServerOptions,
  type WebSocketConnection,
  type WebSocketServer,
} from '../../src/index.js';

/** A server on a port the system chose, and what it has seen. */
export interface Harness {
  readonly server: WebSocketServer;
  readonly port: number;
  readonly url: string;
  readonly connections: WebSocketConnection[];
  readonly logs: LogEvent[];
  /** Messages the server's connections delivered, in order. */
  readonly messages: Array<{ data: unknown; isBinary: boolean }>;
  /** The n-th connection (0-based), once the server has it. */
  connection(index?: number): Promise<WebSocketConnection>;
}

export interface HarnessOptions {
  /** Send every message back as it came. */
  readonly echo?: boolean;
  /** Keep every message in `messages`; true by default (turn off for tests of big volumes). */
  readonly record?: boolean;
  readonly onConnection?: (connection: WebSocketConnection) => void;
}

const running: WebSocketServer[] = [];

/**
 * Starts a server for a test: port 0, no compression and no heartbeat unless `options` says
 * otherwise, every log event kept (and passed on to `options.onLog`). Close it with
 * `closeHarnesses()` in `afterEach`.
 */
export async function startHarness(
  options: ServerOptions = {},
  { echo = false, record = true, onConnection }: HarnessOptions = {},
): Promise<Harness> {
  const logs: LogEvent[] = [];
  const messages: Array<{ data: unknown; isBinary: boolean }> = [];
  const connections: WebSocketConnection[] = [];
  const server = await createServer({
    port: 0,
    perMessageDeflate: false,
    heartbeatIntervalMs: 0,
    ...options,
    onLog: (event) => {
      logs.push(event);
      options.onLog?.(event);
    },
  });
  running.push(server);
  server.on('connection', (connection) => {
    connections.push(connection);
    connection.on('message', (data, isBinary) => {
      if (record) messages.push({ data, isBinary });
      if (echo) connection.send(data, { binary: isBinary });
    });
    onConnection?.(connection);
  });
  const port = server.address()?.port ?? 0;
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}`,
    connections,
    logs,
    messages,
    async connection(index = 0) {
      await waitFor(() => connections.length > index, { what: `connection ${index}` });
      return connections[index] as WebSocketConnection;
    },
  };
}

/** Closes every server `startHarness` started. */
export async function closeHarnesses(): Promise<void> {
  for (const server of running.splice(0)) await server.close({ timeoutMs: 500 });
}
