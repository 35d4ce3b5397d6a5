import { type DecodedFrame, decodeFrames } from '@wsgate/test-kit/wire';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import type { SessionHandler, SessionOptions } from '../../src/protocol/session.js';
import { WebSocketSession } from '../../src/protocol/session.js';
import { concat, fromUtf8 } from './bytes.js';

export type SessionEvent =
  | { readonly type: 'message'; readonly data: Uint8Array; readonly isText: boolean }
  | { readonly type: 'ping'; readonly payload: Uint8Array }
  | { readonly type: 'pong'; readonly payload: Uint8Array }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'failure'; readonly code: ErrorCode; readonly detail: string };

/** Records everything a session reports, copying bytes so later reuse cannot change them. */
export class RecordingHandler implements SessionHandler {
  readonly events: SessionEvent[] = [];
  readonly transmitted: Uint8Array[] = [];

  onMessage(data: Uint8Array, isText: boolean): void {
    this.events.push({ type: 'message', data: data.slice(), isText });
  }
  onPing(payload: Uint8Array): void {
    this.events.push({ type: 'ping', payload: payload.slice() });
  }
  onPong(payload: Uint8Array): void {
    this.events.push({ type: 'pong', payload: payload.slice() });
  }
  onTransmit(bytes: Uint8Array): void {
    this.transmitted.push(bytes.slice());
  }
  onCloseFrame(code: number, reason: string): void {
    this.events.push({ type: 'close', code, reason });
  }
  onFailure(code: ErrorCode, detail: string): void {
    this.events.push({ type: 'failure', code, detail });
  }

  /** Everything transmitted so far, decoded as frames. */
  sentFrames(): DecodedFrame[] {
    return decodeFrames(concat(...this.transmitted));
  }

  failures(): ErrorCode[] {
    return this.events.flatMap((event) => (event.type === 'failure' ? [event.code] : []));
  }

  messages(): { text: string | undefined; data: Uint8Array; isText: boolean }[] {
    return this.events.flatMap((event) =>
      event.type === 'message'
        ? [
            {
              text: event.isText ? fromUtf8(event.data) : undefined,
              data: event.data,
              isText: event.isText,
            },
          ]
        : [],
    );
  }
}

export function createSession(options: SessionOptions): {
  session: WebSocketSession;
  handler: RecordingHandler;
} {
  const handler = new RecordingHandler();
  return { session: new WebSocketSession(handler, options), handler };
}

/** Code and UTF-8 reason of a close frame payload (1005 and '' for an empty one). */
export function readClosePayload(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: '' };
  return {
    code: ((payload[0] as number) << 8) | (payload[1] as number),
    reason: fromUtf8(payload.subarray(2)),
  };
}
