import type { ConnectionSettings } from './connection-options.js';

/** What `send` does with a message, given what already waits for the peer (see SlowConsumerPolicy). */
export const SendVerdict = { send: 0, drop: 1, close: 2 } as const;
export type SendVerdict = (typeof SendVerdict)[keyof typeof SendVerdict];

/** The bytes of `data` as `send` frames them: strings as UTF-8, an ArrayBuffer viewed in place. */
export function messageBytes(data: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * `maxBufferedBytes` and the slow-consumer policy, for a message of `payloadBytes` when
 * `buffered` bytes already wait. The cap counts what will wait in the socket: the frame header
 * too (RFC 6455 §5.2); for a compressed message the payload is an estimate (DEFLATE rarely
 * grows data). A message larger than the cap still goes when nothing else waits.
 */
export function sendVerdict(
  buffered: number,
  payloadBytes: number,
  settings: ConnectionSettings,
): SendVerdict {
  const frameBytes = payloadBytes + (payloadBytes < 126 ? 2 : payloadBytes < 0x10000 ? 4 : 10);
  if (buffered + frameBytes <= settings.maxBufferedBytes || buffered === 0) return SendVerdict.send;
  const policy = settings.slowConsumerPolicy;
  return policy === 'drop'
    ? SendVerdict.drop
    : policy === 'close'
      ? SendVerdict.close
      : SendVerdict.send;
}
