import { catalogue, type ErrorCode, type ErrorKind } from './catalogue.js';

const eventNames: Readonly<Record<ErrorKind, string>> = {
  handshake: 'wsgate.handshake.refused',
  protocol: 'wsgate.connection.failed',
  lifecycle: 'wsgate.connection.closed',
  client: 'wsgate.client.failed',
  server: 'wsgate.server.failed',
  topic: 'wsgate.topic.failed',
};

/** A structured log record for a catalogue error: what a logger or metrics pipeline receives. */
export interface LogEvent {
  readonly event: string;
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly title: string;
  readonly status?: number;
  readonly closeCode?: number;
  readonly detail?: string;
  readonly remoteAddress?: string;
  readonly path?: string;
}

export interface LogContext {
  readonly detail?: string | undefined;
  readonly remoteAddress?: string | undefined;
  readonly path?: string | undefined;
}

export function logEventFor(code: ErrorCode, context: LogContext = {}): LogEvent {
  const entry = catalogue[code];
  return {
    event: eventNames[entry.kind],
    code,
    kind: entry.kind,
    title: entry.title,
    ...(entry.kind === 'handshake' ? { status: entry.status } : {}),
    ...(entry.kind === 'protocol' || entry.kind === 'lifecycle'
      ? { closeCode: entry.closeCode }
      : {}),
    ...(context.detail === undefined ? {} : { detail: context.detail }),
    ...(context.remoteAddress === undefined ? {} : { remoteAddress: context.remoteAddress }),
    ...(context.path === undefined ? {} : { path: context.path }),
  };
}

/** Where application code threw: a handshake hook, or a connection's listener or handler. */
export type ExceptionSite = 'handshake' | 'connection';

/**
 * A log record for an exception in application code, with its stack: for the server's log only,
 * never for the peer (which gets the catalogue code alone).
 */
export function logEventForException(
  site: ExceptionSite,
  error: unknown,
  context: LogContext = {},
): LogEvent {
  const handshake = site === 'handshake';
  return {
    ...logEventFor(handshake ? 'WSG_HOOK_FAILED' : 'WSG_INTERNAL_ERROR', context),
    event: handshake ? 'wsgate.handshake.hook_failed' : 'wsgate.connection.handler_failed',
    detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}
