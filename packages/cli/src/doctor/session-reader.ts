import type { ClosingCode } from '@wsgate/core';
import type { SessionCompression, SessionHandler } from '@wsgate/core/protocol';
import { type ExchangeLog, roundMs, toHex } from './exchange-log.js';
import { describeSentFrame } from './frame-text.js';
import { ObservedSession, type ReceivedFrame, type SentFrame } from './observed-session.js';
import type { Wire } from './wire.js';

/** What the server's bytes amounted to, one at a time, as the steps wait for them. */
export type SessionEvent =
  | { readonly kind: 'message'; readonly data: Buffer; readonly isText: boolean }
  /** Core's session answered it with a pong already (RFC 6455 §5.5.2). */
  | { readonly kind: 'ping'; readonly payload: Buffer }
  | { readonly kind: 'pong'; readonly payload: Buffer }
  /** A valid close frame; the session answered it, echoing the code (RFC 6455 §5.5.1). */
  | {
      readonly kind: 'close';
      readonly code: number;
      readonly reason: string;
      readonly sentBefore: SentFrame | undefined;
    }
  /** The server broke a rule: the session failed the connection with the code's close frame. */
  | {
      readonly kind: 'failure';
      readonly code: ClosingCode;
      readonly detail: string;
      readonly frame: ReceivedFrame | undefined;
    }
  | { readonly kind: 'end'; readonly error: NodeJS.ErrnoException | undefined }
  | { readonly kind: 'timeout' };

/**
 * The connection after the 101, read through core's client session (`WebSocketSession`), so the
 * doctor and a wsgate server judge the same bytes the same way: frames, fragments, UTF-8 as it
 * arrives (RFC 6455 §8.1), inflating (RFC 7692), the close rules.
 */
export class SessionReader implements SessionHandler {
  private readonly events: SessionEvent[] = [];
  readonly session: ObservedSession;
  lastSent: SentFrame | undefined;

  constructor(
    private readonly wire: Wire,
    private readonly log: ExchangeLog,
    compression: SessionCompression | undefined,
  ) {
    this.session = new ObservedSession(this, compression, log, () => this.lastSent);
  }

  /**
   * Bytes already received (those that came with the 101). Copied: the session works on its
   * chunks in place, and these are a view into the head parser's buffer.
   */
  receive(bytes: Uint8Array): void {
    if (bytes.length > 0) this.session.receive(Uint8Array.from(bytes));
  }

  /** Events the bytes received so far produced, without waiting for more. */
  takeReceived(): SessionEvent[] {
    return this.events.splice(0);
  }

  /** The next event, reading from the socket until `deadline` if none is waiting. */
  async next(deadline: number): Promise<SessionEvent> {
    for (;;) {
      const event = this.events.shift();
      if (event !== undefined) return event;
      const read = await this.wire.read(deadline);
      if (read.kind === 'data') {
        this.session.receive(read.bytes);
        continue;
      }
      if (read.kind === 'end')
        this.log.event(
          read.error ? `TCP ${read.error.code ?? 'error'}` : 'TCP closed by the server',
        );
      return read;
    }
  }

  // --- SessionHandler --------------------------------------------------------------------

  onMessage(data: Uint8Array, isText: boolean): void {
    this.events.push({ kind: 'message', data: asBuffer(data), isText });
  }

  onPing(payload: Uint8Array): void {
    this.events.push({ kind: 'ping', payload: asBuffer(payload) });
  }

  onPong(payload: Uint8Array): void {
    this.events.push({ kind: 'pong', payload: asBuffer(payload) });
  }

  onTransmit(bytes: Uint8Array): void {
    const description = describeSentFrame(bytes);
    const hex = toHex(bytes);
    this.lastSent = { description, hex, atMs: roundMs(this.log.now()) };
    this.log.add({ direction: 'sent', kind: 'frame', summary: description, hex });
    this.wire.write(bytes);
  }

  onCloseFrame(code: number, reason: string): void {
    this.events.push({ kind: 'close', code, reason, sentBefore: this.session.frame?.sentBefore });
  }

  onFailure(code: ClosingCode, detail: string): void {
    this.events.push({ kind: 'failure', code, detail, frame: this.session.frame });
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
