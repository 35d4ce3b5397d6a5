/** What a WebSocketSession is given (its options) and what it calls (its handler). */
import type { ClosingCode } from '../errors/catalogue.js';
import type { Allocate } from './frame-serializer.js';
import type { SessionCompression } from './message-codec.js';

export interface SessionOptions {
  readonly side: 'server' | 'client';
  /** Largest message accepted, checked from frame headers before buffering (close 1009). */
  readonly maxMessageBytes?: number | undefined;
  /** Answer pings with pongs automatically (RFC 6455 §5.5.2). */
  readonly autoPong?: boolean | undefined;
  /** How buffers are allocated; the Node layer passes Buffer.allocUnsafe. */
  readonly allocate?: Allocate | undefined;
  /**
   * How the buffers of received messages are allocated: each must be an ArrayBuffer of its own,
   * never a slice of a shared pool, because an application may send or keep `message.buffer`.
   * The Node layer passes Buffer.allocUnsafeSlow; zero-filled ones by default.
   */
  readonly allocateMessage?: Allocate | undefined;
  /** permessage-deflate, when negotiated. */
  readonly compression?: SessionCompression | undefined;
  /**
   * Checks a whole message as UTF-8 at once (the Node layer passes buffer.isUtf8, native), for
   * inflated text messages: our streaming validator takes about 1 ms per MiB on the event loop.
   */
  readonly isUtf8?: ((bytes: Uint8Array) => boolean) | undefined;
}

export interface SessionHandler {
  onMessage(data: Uint8Array, isText: boolean): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** Bytes to write to the transport, in order. */
  onTransmit(bytes: Uint8Array): void;
  /** The peer's close frame arrived; `code` is 1005 when it had none. */
  onCloseFrame(code: number, reason: string): void;
  /** The peer broke the protocol or a limit; a close frame with the error's code was sent. */
  onFailure(code: ClosingCode, detail: string): void;
  /**
   * Work the codec deferred is over: an inflated message was handled (reading goes on unless
   * paused), or the frames held behind a compressed message went out (`sendWaiting` false).
   */
  onCodecSettled?(): void;
}

export const SessionState = { open: 1, closing: 2, closed: 3 } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
