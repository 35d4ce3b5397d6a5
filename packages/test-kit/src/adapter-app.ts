import type { RefusalJournal, ServerOptions } from '@wsgate/core';
import type { FrameworkAnswer } from './framework-answers.js';

/**
 * The app every adapter builds for the contract suite (describeAdapter), in its framework's own
 * way, served on 127.0.0.1 port 0:
 *
 * - `/echo`, a WebSocket endpoint that sends every message back with its type (text or binary);
 * - in front of it, the app's handshake middleware (Express and Koa middleware, a Nest
 *   handshake guard) which, for `?answer=ID`, produces that row of the framework-answers table
 *   (frameworkAnswerFor, httpErrorFor) and, for `?stall`, never settles;
 * - `GET /hello`, an ordinary HTTP route answering 200 `hello`; other paths get the framework's
 *   own 404;
 * - `GET /.well-known/wsgate/refusal`, answered from `options.refusalJournal` (the adapter's
 *   refusalLookup middleware, or the Nest adapter's own);
 * - `options` given to the adapter for the whole app.
 */
export interface ContractOptions
  extends Pick<
    ServerOptions,
    | 'origins'
    | 'subprotocols'
    | 'handshakeTimeoutMs'
    | 'maxMessageBytes'
    | 'maxConnections'
    | 'heartbeatIntervalMs'
    | 'perMessageDeflate'
  > {
  /** A journal of each app's own: lookups are rate-limited per address in each journal. */
  readonly refusalJournal: RefusalJournal;
}

export interface ContractApp {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** What the app runs to close its WebSockets: each client gets 1001 WSG_SERVER_SHUTDOWN. */
  closeWebSockets(): Promise<void>;
  /** Stops the app and its HTTP server; also after closeWebSockets. */
  stop(): Promise<void>;
}

export type StartContractApp = (options: ContractOptions) => Promise<ContractApp>;

/** Where frameworks differ, said once per adapter rather than in forked tests. */
export interface AdapterFlags {
  /**
   * How the app can produce a framework answer: raising an HTTP error, or writing a response of
   * its own. Nest's guards only raise errors.
   */
  readonly answersVia: readonly FrameworkAnswer['via'][];
  /**
   * What a handshake meets once the app has closed its WebSockets: 503
   * WSG_SERVER_SHUTTING_DOWN while the HTTP server serves on (Express, Koa: the app closes its
   * WebSockets on its own), or no listener at all (Nest: app.close() closes both).
   */
  readonly afterShutdown: 'refuses with 503' | 'stops listening';
}

/** The query an app's handshake middleware reads: hold the upgrade request forever. */
export const STALL_QUERY = 'stall';

/** Whether a request asks the handshake middleware to never settle (`?stall`). */
export function stallRequested(url: string | undefined): boolean {
  const query = (url ?? '').split('?')[1] ?? '';
  return new URLSearchParams(query).has(STALL_QUERY);
}
