import { channel } from 'node:diagnostics_channel';
import type { ErrorCode, ErrorKind } from '../errors/catalogue.js';
import { observeWsgateErrors, type WsgateError } from '../errors/wsgate-error.js';
import type { WebSocketConnection } from '../node/connection.js';
import type { HandshakeRequest } from '../node/handshake-request.js';

/**
 * The `node:diagnostics_channel` channels core publishes to, for APM agents and tools. A channel
 * without subscribers costs one property read: payloads are built only when `hasSubscribers`.
 * docs/observability.md describes each payload.
 */
export const DIAGNOSTIC_CHANNELS = {
  /** `{ request, connection }`: a handshake was accepted (the 101 is written). */
  handshakeAccepted: 'wsgate:handshake:accepted',
  /** `{ request, code, status, detail }`: a handshake was refused with a catalogue code. */
  handshakeRefused: 'wsgate:handshake:refused',
  /** `{ connection, request }`: a server connection opened. */
  connectionOpen: 'wsgate:connection:open',
  /** `{ connection, code, reason, error }`: a server connection closed. */
  connectionClose: 'wsgate:connection:close',
  /** `{ code, kind, detail, error }`: any catalogue error, refusals included (`error` absent for them). */
  error: 'wsgate:error',
} as const;

/** The payload of `wsgate:handshake:accepted`. */
export interface HandshakeAcceptedMessage {
  readonly request: HandshakeRequest;
  readonly connection: WebSocketConnection;
}

/** The payload of `wsgate:handshake:refused`. */
export interface HandshakeRefusedMessage {
  /** Undefined when the request head itself could not be read. */
  readonly request: HandshakeRequest | undefined;
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
}

/** The payload of `wsgate:connection:open`. */
export interface ConnectionOpenMessage {
  readonly connection: WebSocketConnection;
  readonly request: HandshakeRequest;
}

/** The payload of `wsgate:connection:close`. */
export interface ConnectionCloseMessage {
  readonly connection: WebSocketConnection;
  readonly code: number;
  readonly reason: string;
  readonly error: WsgateError | undefined;
}

/** The payload of `wsgate:error`. */
export interface ErrorMessage {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly detail: string | undefined;
  /** The error object, for every catalogue error but handshake refusals (which are answers). */
  readonly error: WsgateError | undefined;
}

const handshakeAccepted = channel(DIAGNOSTIC_CHANNELS.handshakeAccepted);
const handshakeRefused = channel(DIAGNOSTIC_CHANNELS.handshakeRefused);
const connectionOpen = channel(DIAGNOSTIC_CHANNELS.connectionOpen);
const connectionClose = channel(DIAGNOSTIC_CHANNELS.connectionClose);
const errors = channel(DIAGNOSTIC_CHANNELS.error);

// Every WsgateError made (a protocol failure, a timeout, a client or topic error) is published.
observeWsgateErrors((error) => {
  if (!errors.hasSubscribers) return;
  errors.publish({
    code: error.code,
    kind: error.kind,
    detail: error.detail,
    error,
  } satisfies ErrorMessage);
});

export function publishHandshakeAccepted(
  request: HandshakeRequest,
  connection: WebSocketConnection,
): void {
  if (handshakeAccepted.hasSubscribers)
    handshakeAccepted.publish({ request, connection } satisfies HandshakeAcceptedMessage);
  if (connectionOpen.hasSubscribers)
    connectionOpen.publish({ connection, request } satisfies ConnectionOpenMessage);
}

export function publishHandshakeRefused(
  request: HandshakeRequest | undefined,
  code: ErrorCode,
  status: number,
  detail: string | undefined,
): void {
  if (handshakeRefused.hasSubscribers)
    handshakeRefused.publish({ request, code, status, detail } satisfies HandshakeRefusedMessage);
  if (errors.hasSubscribers)
    errors.publish({ code, kind: 'handshake', detail, error: undefined } satisfies ErrorMessage);
}

export function publishConnectionClosed(
  connection: WebSocketConnection,
  code: number,
  reason: string,
  error: WsgateError | undefined,
): void {
  if (connectionClose.hasSubscribers)
    connectionClose.publish({ connection, code, reason, error } satisfies ConnectionCloseMessage);
}
