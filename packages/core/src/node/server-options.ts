import type { HandshakeCode } from '../errors/catalogue.js';
import type { LogEvent } from '../errors/log-event.js';
import type { HandshakePolicy } from '../protocol/handshake-server.js';
import type { DeflateOptions } from '../protocol/permessage-deflate.js';
import type { Backplane } from '../topics/backplane.js';
import type { PresenceEvent, TopicFrame, TopicGap } from '../topics/topic-hub.js';
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
  /**
   * Bytes queued for all the peers that do not read: 256 MiB for the whole process when left
   * unset (every such server shares it), this server's own budget when set (0 turns it off). `maxBufferedBytes` bounds each peer; past this sum, the peers holding most are closed
   * at once with 1013 WSG_SEND_BUFFER_FULL, whatever their slowConsumerPolicy.
   */
  readonly maxBufferedBytesTotal?: number | undefined;
  /**
   * Connections from one peer address (256 by default, 0 turns it off; 503 beyond). Behind a
   * reverse proxy every client has the proxy's address: raise it or turn it off there.
   */
  readonly maxConnectionsPerAddress?: number | undefined;
  /**
   * Connections whose request head has not arrived yet, standalone or attached (512 by default,
   * 0 turns it off). Past it the oldest gets 408 WSG_HANDSHAKE_TIMEOUT and is closed: sockets
   * that never send a byte cannot take every file descriptor, while honest clients, which send
   * their head as soon as they connect, are never the oldest for long.
   */
  readonly maxPendingHandshakes?: number | undefined;
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
  /**
   * What carries topics between processes (e.g. `RedisBackplane`); by default one in-memory
   * backplane shared by every server of the process. Started on first use, never closed by the server.
   */
  readonly backplane?: Backplane | undefined;
  /** What subscribers receive for a topic message (default: its data, as text or binary). */
  readonly topicFrame?: TopicFrame | undefined;
}

export interface ServerEvents {
  connection: [connection: WebSocketConnection, request: HandshakeRequest];
  close: [];
  /** Someone joined or left the presence of a topic this server's connections subscribe to. */
  presence: [event: PresenceEvent];
  /** Subscribers of a topic missed messages that history no longer had (see TopicGap). */
  gap: [gap: TopicGap];
}

export interface UpgradeOptions {
  /** Extra headers for the 101 answer (e.g. Set-Cookie from a framework, one value per cookie). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/**
 * Half of the common 1,024 file descriptors a process may open: the other half stays for
 * established connections and the process itself, even under a flood of silent sockets.
 */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 512;
/** Far above what one honest client opens; behind a proxy, raise it or turn it off (see ServerOptions). */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
/** Sixteen peers at the default `maxBufferedBytes`: far from what readers need, bounded whatever the count. */
export const DEFAULT_MAX_BUFFERED_BYTES_TOTAL = 256 * 1024 * 1024;

export function matchPath(matcher: PathMatcher | undefined, path: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'string') return matcher === path;
  if (typeof matcher === 'function') return matcher(path);
  return matcher.includes(path);
}
