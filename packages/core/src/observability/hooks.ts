import type { ErrorCode } from '../errors/catalogue.js';
import type { WsgateError } from '../errors/wsgate-error.js';
import type { WebSocketConnection } from '../node/connection.js';
import type { HandshakeRequest } from '../node/handshake-request.js';
import type { BackplaneEvent } from '../topics/backplane.js';
import {
  publishConnectionClosed,
  publishHandshakeAccepted,
  publishHandshakeRefused,
} from './diagnostics.js';
import { AttributeName } from './metric-names.js';
import {
  acceptedHandshakeAttributes,
  closeAttributes,
  instruments,
  refusedHandshakeAttributes,
} from './metrics.js';
import { endHandshakeSpanAccepted, endHandshakeSpanRefused } from './tracing.js';

/**
 * The calls the server, the handshake paths and topics make at lifecycle events: each one line
 * where it happens, all the OpenTelemetry and diagnostics_channel work here. Per-message counts
 * are not here: they are plain additions (traffic-totals.ts).
 */

/** When each connection opened, kept only while a meter provider records. */
const openedAt = new WeakMap<WebSocketConnection, number>();

export function handshakeRefused(
  request: HandshakeRequest | undefined,
  code: ErrorCode,
  status: number,
  detail: string | undefined,
): void {
  instruments()?.handshakes.add(1, refusedHandshakeAttributes(code));
  endHandshakeSpanRefused(request, code, status);
  publishHandshakeRefused(request, code, status, detail);
}

export function connectionOpened(connection: WebSocketConnection, request: HandshakeRequest): void {
  const recording = instruments();
  if (recording !== undefined) {
    recording.handshakes.add(1, acceptedHandshakeAttributes);
    recording.activeConnections.add(1);
    openedAt.set(connection, performance.now());
  }
  endHandshakeSpanAccepted(request);
  publishHandshakeAccepted(request, connection);
}

export function connectionClosed(
  connection: WebSocketConnection,
  code: number,
  reason: string,
  error: WsgateError | undefined,
): void {
  const opened = openedAt.get(connection);
  const recording = instruments();
  // Only a connection counted when it opened is counted out (a provider registered meanwhile
  // must not go below zero).
  if (opened !== undefined && recording !== undefined) {
    openedAt.delete(connection);
    recording.activeConnections.add(-1);
    recording.connectionDuration.record((performance.now() - opened) / 1000);
    recording.closes.add(1, closeAttributes(code, error?.code));
  }
  publishConnectionClosed(connection, code, reason, error);
}

/** A backplane event reached this node: the lag of a message, a reconnect. */
export function backplaneEvent(event: BackplaneEvent): void {
  if (event.type === 'message') {
    const recording = instruments();
    if (recording === undefined) return;
    const lagMs = Math.max(0, Date.now() - event.message.publishedAt);
    recording.backplaneLag.record(lagMs / 1000);
  } else if (event.type === 'reconnect') {
    instruments()?.backplaneReconnects.add(1);
  }
}

const recoveryAttributes = {
  subscribe: {
    true: { [AttributeName.outcome]: 'recovered', [AttributeName.recoveryTrigger]: 'subscribe' },
    false: {
      [AttributeName.outcome]: 'not_recovered',
      [AttributeName.recoveryTrigger]: 'subscribe',
    },
  },
  reconnect: {
    true: { [AttributeName.outcome]: 'recovered', [AttributeName.recoveryTrigger]: 'reconnect' },
    false: {
      [AttributeName.outcome]: 'not_recovered',
      [AttributeName.recoveryTrigger]: 'reconnect',
    },
  },
} as const;

/** Missed topic messages were asked of history: all recovered, or not. */
export function topicRecovery(trigger: 'subscribe' | 'reconnect', recovered: boolean): void {
  instruments()?.recoveries.add(1, recoveryAttributes[trigger][recovered ? 'true' : 'false']);
}
