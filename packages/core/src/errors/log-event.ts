import { catalogue, type ErrorCode, type ErrorKind } from './catalogue.js';

const eventNames: Readonly<Record<ErrorKind, string>> = {
  handshake: 'wsgate.handshake.refused',
  protocol: 'wsgate.connection.failed',
  lifecycle: 'wsgate.connection.closed',
  client: 'wsgate.client.failed',
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
    ...(entry.status === undefined ? {} : { status: entry.status }),
    ...(entry.closeCode === undefined ? {} : { closeCode: entry.closeCode }),
    ...(context.detail === undefined ? {} : { detail: context.detail }),
    ...(context.remoteAddress === undefined ? {} : { remoteAddress: context.remoteAddress }),
    ...(context.path === undefined ? {} : { path: context.path }),
  };
}
