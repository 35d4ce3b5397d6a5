import type { HandshakeCode } from '../errors/catalogue.js';
import type { LogEvent } from '../errors/log-event.js';
import type { HandshakePolicy } from '../protocol/handshake-server.js';
import type { DeflateOptions } from '../protocol/permessage-deflate.js';
import type { CaptureSetting } from './capture.js';
import type { ConnectionLimits, WebSocketConnection } from './connection.js';
import type { HandshakeRequest } from './handshake-request.js';
import type { RefusalJournal } from './refusal-journal.js';

// What a WebSocketServer is configured with, and its defaults; the server is in server.ts.

/** A refusal chosen by the application, with its catalogue code. */
export interface UpgradeRefusal {
  readonly refuse: HandshakeCode;
  readonly detail?: string;
  /** e.g. `WWW-Authenticate` for a 401 */
  readonly headers?: Readonly<Record<string, string>>;
  readonly status?: number;
}

/** An application's answer to a handshake: nothing to accept, or a refusal with a catalogue code. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing accepts the handshake.
export type UpgradeDecision = UpgradeRefusal | undefined | void;

export type PathMatcher = string | readonly string[] | ((path: string) => boolean);

export interface ServerOptions extends ConnectionLimits {
  /** Paths served when standalone or attached; any path when left out. */
  readonly path?: PathMatcher | undefined;
  /** Origin allow-list (403 otherwise); requests without Origin pass unless requireOrigin. */
  readonly origins?: HandshakePolicy['origins'];
  readonly requireOrigin?: boolean | undefined;
  readonly subprotocols?: HandshakePolicy['subprotocols'];
  readonly requireSubprotocol?: boolean | undefined;
  /** permessage-deflate (RFC 7692); on by default. */
  readonly perMessageDeflate?: boolean | DeflateOptions | undefined;
  /** Total connections (503 beyond). */
  readonly maxConnections?: number | undefined;
  /** Connections from one address (503 beyond). */
  readonly maxConnectionsPerAddress?: number | undefined;
  /** Bound on the whole handshake: the request head and the application's hook (408 / 500). */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * When attached to an http server: a new connection whose first request head is not complete
   * within `handshakeTimeoutMs` gets 408 WSG_HANDSHAKE_TIMEOUT, as on a standalone server (Node's
   * own bound, `headersTimeout`, is 60 s and checked every 30 s). On by default; false leaves
   * request heads to Node.
   */
  readonly limitRequestHeads?: boolean | undefined;
  readonly maxHeaderBytes?: number | undefined;
  readonly maxHeaderCount?: number | undefined;
  /** Ping every connection at this interval and drop those that stay silent; 0 turns it off. */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Decide on a handshake after the RFC checks: return a refusal, or throw a WsgateError. */
  readonly verifyUpgrade?:
    | ((request: HandshakeRequest) => UpgradeDecision | Promise<UpgradeDecision>)
    | undefined;
  readonly textAs?: 'string' | 'buffer' | undefined;
  /** Receives a structured event for every refusal and failure. */
  readonly onLog?: ((event: LogEvent) => void) | undefined;
  /** Where refusals of tagged browser attempts are recorded (see RefusalJournal); the process-wide one by default. */
  readonly refusalJournal?: RefusalJournal | undefined;
  /** When attached beside other upgrade listeners: how long they get before an unmatched path gets 404. */
  readonly unhandledUpgradeTimeoutMs?: number | undefined;
  /** Record every connection's traffic as pcapng (see `createCapture`); off by default. */
  readonly capture?: CaptureSetting | undefined;
}

export interface ServerEvents {
  connection: [connection: WebSocketConnection, request: HandshakeRequest];
  close: [];
}

export interface UpgradeOptions {
  /** Extra headers for the 101 answer (e.g. Set-Cookie from a framework, one value per cookie). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 10_000;

export function matchPath(matcher: PathMatcher | undefined, path: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'string') return matcher === path;
  if (typeof matcher === 'function') return matcher(path);
  return matcher.includes(path);
}
