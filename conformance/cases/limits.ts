import type { CaseContext, ConformanceCase, MessageType } from '../types.js';
import { encodeFrame } from '../wire.js';
import {
  binary,
  binaryNoise,
  CLEAN,
  chopped,
  continuation,
  defineCase,
  echo,
  fail,
  failFastMark,
  message,
  raw,
  script,
  send,
  text,
  utf8Text,
  wait,
} from './helpers.js';

// 9.x Limits/performance: large messages whole, fragmented and chopped, and many small
// roundtrips, up to the target's message limit (16 MiB for the demo contract). 9.9 checks the
// limit itself: a message one byte over fails with 1009 (RFC 6455 §7.4.1, §10.4) as soon as its
// header announces it.

const KiB = 1024;
const MiB = 1024 * KiB;
const BIG_TIMEOUT_MS = 30_000;

const payloadOf = (type: MessageType, size: number) =>
  type === 'text' ? utf8Text(size) : binaryNoise(size);
const sizeName = (size: number) =>
  size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} bytes`;
const capped = (context: CaseContext, size: number) => Math.min(size, context.maxMessageBytes);

function single(group: string, type: MessageType): ConformanceCase[] {
  return [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].map((size, i) =>
    defineCase(
      '9',
      `${group}.${i + 1}`,
      `Send a ${type} message of ${sizeName(size)} (capped at the limit) in one frame; it is echoed.`,
      (context) => {
        const payload = payloadOf(type, capped(context, size));
        return script(
          [send(type === 'text' ? text(payload) : binary(payload))],
          [echo(type, payload)],
          CLEAN,
        );
      },
      { timeoutMs: BIG_TIMEOUT_MS },
    ),
  );
}

function fragmented(group: string, type: MessageType): ConformanceCase[] {
  return [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((fragment, i) =>
    defineCase(
      '9',
      `${group}.${i + 1}`,
      `Send a ${type} message of 4 MiB in fragments of ${sizeName(fragment)}; it is echoed.`,
      (context) => {
        const payload = payloadOf(type, capped(context, 4 * MiB));
        return script(
          [message({ type, payload, fragmentBytes: fragment })],
          [echo(type, payload)],
          CLEAN,
        );
      },
      { timeoutMs: BIG_TIMEOUT_MS },
    ),
  );
}

function choppedWrites(group: string, type: MessageType): ConformanceCase[] {
  return [64, 128, 256, 512, 1024, 2048].map((chop, i) =>
    defineCase(
      '9',
      `${group}.${i + 1}`,
      `Send a ${type} message of 1 MiB in one frame, written in chops of ${chop} octets; it is echoed.`,
      (context) => {
        const payload = payloadOf(type, capped(context, MiB));
        return script(
          [chopped({ bytes: chop, delayMs: 0 }, type === 'text' ? text(payload) : binary(payload))],
          [echo(type, payload)],
          CLEAN,
        );
      },
      { timeoutMs: BIG_TIMEOUT_MS },
    ),
  );
}

function roundtrips(group: string, type: MessageType): ConformanceCase[] {
  return [0, 16, 64, 256, 1024, 4096].map((size, i) =>
    defineCase(
      '9',
      `${group}.${i + 1}`,
      `Send 1000 ${type} messages of ${sizeName(size)}, each after the echo of the previous one; all are echoed.`,
      () => {
        const payload = payloadOf(type, size);
        return script(
          [{ kind: 'roundtrips', count: 1000, make: () => ({ type, payload }) }],
          [],
          CLEAN,
        );
      },
      { timeoutMs: BIG_TIMEOUT_MS },
    ),
  );
}

/** One frame of `size` bytes: the header and the first KiB, a pause, then the rest if still open. */
function overLimitFrame(type: MessageType, size: number) {
  const wire = encodeFrame(
    type === 'text' ? text(Buffer.alloc(size, 0x61)) : binary(Buffer.alloc(size, 0x62)),
  );
  const headerAndStart = wire.length - size + KiB;
  return [
    raw(wire.subarray(0, headerAndStart)),
    wait(300),
    failFastMark,
    raw(wire.subarray(headerAndStart)),
  ];
}

const limitCases: ConformanceCase[] = [
  defineCase(
    '9',
    '9.9.1',
    'Send a binary message of exactly the limit in 4 fragments; it is echoed.',
    (context) => {
      const payload = binaryNoise(context.maxMessageBytes);
      return script(
        [message({ type: 'binary', payload, fragmentBytes: Math.ceil(payload.length / 4) })],
        [echo('binary', payload)],
        CLEAN,
      );
    },
    { timeoutMs: BIG_TIMEOUT_MS },
  ),
  defineCase(
    '9',
    '9.9.2',
    'Send a binary frame announcing the limit + 1 bytes; failed with 1009 before the payload is sent (fail fast).',
    (context) =>
      script(
        overLimitFrame('binary', context.maxMessageBytes + 1),
        [],
        fail([1009], { fast: true }),
      ),
    { timeoutMs: BIG_TIMEOUT_MS },
  ),
  defineCase(
    '9',
    '9.9.3',
    'Send a text frame announcing the limit + 1 bytes; failed with 1009 before the payload is sent (fail fast).',
    (context) =>
      script(overLimitFrame('text', context.maxMessageBytes + 1), [], fail([1009], { fast: true })),
    { timeoutMs: BIG_TIMEOUT_MS },
  ),
  defineCase(
    '9',
    '9.9.4',
    'Send half the limit as a first fragment, then a last fragment that goes 1 byte over; failed with 1009 before it is sent.',
    (context) => {
      const half = Math.floor(context.maxMessageBytes / 2);
      const second = context.maxMessageBytes - half + 1;
      const wire = encodeFrame(continuation(Buffer.alloc(second, 0x63)));
      const headerAndStart = wire.length - second + KiB;
      return script(
        [
          send(binary(Buffer.alloc(half, 0x63), { fin: false })),
          raw(wire.subarray(0, headerAndStart)),
          wait(300),
          failFastMark,
          raw(wire.subarray(headerAndStart)),
        ],
        [],
        fail([1009], { fast: true }),
      );
    },
    { timeoutMs: BIG_TIMEOUT_MS },
  ),
];

export const limitsCases: ConformanceCase[] = [
  ...single('9.1', 'text'),
  ...single('9.2', 'binary'),
  ...fragmented('9.3', 'text'),
  ...fragmented('9.4', 'binary'),
  ...choppedWrites('9.5', 'text'),
  ...choppedWrites('9.6', 'binary'),
  ...roundtrips('9.7', 'text'),
  ...roundtrips('9.8', 'binary'),
  ...limitCases,
];
