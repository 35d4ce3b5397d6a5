import { constants, deflateRawSync } from 'node:zlib';
import type {
  CaseContext,
  CaseScript,
  ConformanceCase,
  MessageSpec,
  MessageType,
  Step,
} from '../types.js';
import { bitmapCorpus, htmlCorpus, jsonCorpus, pdfCorpus, proseCorpus } from './corpora.js';
import {
  binary,
  CLEAN,
  continuation,
  defineCase,
  echo,
  fail,
  hex,
  message,
  ping,
  pong,
  script,
  send,
  text,
  textSlice,
} from './helpers.js';

// 12.x permessage-deflate with the offer Autobahn's client makes by default (RFC 7692): compressed
// messages of many sizes and fragmentations, taken from five kinds of payload, each echoed
// exactly. 12.6 (with the plain offer, so that the client keeps its context) checks the rules
// around compression: RSV1 only on a data message's first frame (§6), what a compressed payload
// may look like (§7.2.3), invalid data, and the message limit applied to the inflated size.

export const PLAIN_OFFER = 'permessage-deflate';
/**
 * The offer of Autobahn's 12.x cases, its client's default: it hints that it will not use context
 * takeover and accepts a limit on its window (RFC 7692 §7.1.1.2, §7.1.2.2).
 */
export const DEFAULT_CLIENT_OFFER =
  'permessage-deflate; client_no_context_takeover; client_max_window_bits';

/** Autobahn's 18 (message size, fragment size) pairs; fragment 0 is one frame. */
export const SIZE_VARIANTS: readonly (readonly [number, number])[] = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16_384, 0],
  [32_768, 0],
  [65_536, 0],
  [131_072, 0],
  [8192, 256],
  [16_384, 256],
  [32_768, 256],
  [65_536, 256],
  [131_072, 256],
  [131_072, 1024],
  [131_072, 4096],
  [131_072, 32_768],
];

/** Autobahn sends 1000 messages per case. */
export const AUTOBAHN_MESSAGE_COUNT = 1000;

/**
 * Messages per case: enough for about 256 KiB (4 to 64 messages), or Autobahn's 1000 when the
 * run asks for full counts (`--full-counts`).
 */
export function messageCount(size: number, context?: CaseContext): number {
  if (context?.fullCounts === true) return AUTOBAHN_MESSAGE_COUNT;
  return Math.min(64, Math.max(4, Math.ceil((256 * 1024) / size)));
}

/** Bound on a case of compressed roundtrips; full counts move up to 128 MiB each way. */
export function roundtripTimeoutMs(context: CaseContext): number {
  return context.fullCounts === true ? 480_000 : 20_000;
}

/** Message `index` of a case: a slice of the corpus (text cut on character boundaries). */
export function corpusMessage(
  corpus: Buffer,
  type: MessageType,
  size: number,
  index: number,
): Buffer {
  const start = (index * 7919 + size * 13) % Math.max(1, corpus.length - size);
  return type === 'text' ? textSlice(corpus, start, size) : corpus.subarray(start, start + size);
}

export function compressedRoundtrips(
  size: number,
  fragmentBytes: number,
  make: (index: number) => { type: MessageType; payload: Buffer },
  context?: CaseContext,
): Step {
  return {
    kind: 'roundtrips',
    count: messageCount(size, context),
    make: (index): MessageSpec => ({ ...make(index), compress: true, fragmentBytes }),
  };
}

export const sizeText = (size: number, fragment: number) =>
  `${messageCount(size)} (full counts: ${AUTOBAHN_MESSAGE_COUNT}) compressed messages of ${size} bytes${fragment > 0 ? ` in ${fragment}-byte frames` : ''}`;

function payloadGroup(
  group: string,
  what: string,
  type: MessageType,
  corpus: () => Buffer,
): ConformanceCase[] {
  return SIZE_VARIANTS.map(([size, fragment], i) =>
    defineCase(
      '12',
      `${group}.${i + 1}`,
      `Offer "${DEFAULT_CLIENT_OFFER}"; send ${sizeText(size, fragment)} (${what}); each is echoed.`,
      (context) =>
        script(
          [
            compressedRoundtrips(
              size,
              fragment,
              (index) => ({ type, payload: corpusMessage(corpus(), type, size, index) }),
              context,
            ),
          ],
          [],
          CLEAN,
          'accepted',
        ),
      { offer: DEFAULT_CLIENT_OFFER, timeoutMs: roundtripTimeoutMs },
    ),
  );
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 7692 §7.2.1 with a fresh context: compress, sync flush, drop 00 00 ff ff. */
function compressAlone(data: Uint8Array, level = constants.Z_DEFAULT_COMPRESSION): Buffer {
  const output = deflateRawSync(data, { level, finishFlush: constants.Z_SYNC_FLUSH });
  return output.subarray(-4).equals(TAIL) ? output.subarray(0, -4) : output;
}

/** A stored (uncompressed) non-final DEFLATE block holding `data` (RFC 1951 §3.2.4). */
function storedBlock(data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x00;
  head.writeUInt16LE(data.length, 1);
  head.writeUInt16LE(data.length ^ 0xffff, 3);
  return Buffer.concat([head, data]);
}

const SAMPLE = Buffer.from(
  'Hello, permessage-deflate! Hello, permessage-deflate! κόσμε κόσμε κόσμε',
);
const NO_CLIENT_CONTEXT = 'permessage-deflate; client_no_context_takeover';

function ruleCases(): ConformanceCase[] {
  const cases: [string, string, (context: CaseContext) => CaseScript, number?][] = [
    [
      'Send an uncompressed text message (RSV1 clear) in a compressed session; it is echoed (RFC 7692 §6).',
      PLAIN_OFFER,
      () => script([send(text(SAMPLE))], [echo('text', SAMPLE)], CLEAN, 'accepted'),
    ],
    [
      'Send a compressed message whose continuation frame also has RSV1 set; failed with 1002 (RFC 7692 §6).',
      PLAIN_OFFER,
      () => {
        const data = compressAlone(SAMPLE);
        return script(
          [
            send(
              text(data.subarray(0, 10), { rsv: 4, fin: false }),
              continuation(data.subarray(10), { rsv: 4 }),
            ),
          ],
          [],
          fail(),
          'accepted',
        );
      },
    ],
    [
      'Send a ping with RSV1 set in a compressed session; failed with 1002 (RFC 7692 §6: control frames are never compressed).',
      PLAIN_OFFER,
      () => script([send(ping('compressed?', { rsv: 4 }))], [], fail(), 'accepted'),
    ],
    [
      'Send a compressed text message with RSV2 also set; failed with 1002 (RFC 6455 §5.2).',
      PLAIN_OFFER,
      () => script([send(text(compressAlone(SAMPLE), { rsv: 6 }))], [], fail(), 'accepted'),
    ],
    [
      'Send a text message with only RSV3 set in a compressed session; failed with 1002.',
      PLAIN_OFFER,
      () => script([send(text(SAMPLE, { rsv: 1 }))], [], fail(), 'accepted'),
    ],
    [
      'Send a compressed message that is not valid DEFLATE (block type 3); the connection is failed (RFC 7692 §7.2.2).',
      PLAIN_OFFER,
      () =>
        script(
          [send(binary(hex('ff ff ff ff ff'), { rsv: 4 }))],
          [],
          fail([1007, 1002]),
          'accepted',
        ),
    ],
    [
      'Send a compressed text message that inflates to invalid UTF-8; failed with 1007 (RFC 6455 §8.1).',
      PLAIN_OFFER,
      () =>
        script(
          [send(text(compressAlone(hex('ce ba e1 bd ed a0 80 61')), { rsv: 4 }))],
          [],
          fail([1007]),
          'accepted',
        ),
    ],
    [
      'Send an empty compressed text message; an empty text message is echoed.',
      PLAIN_OFFER,
      () =>
        script(
          [message({ type: 'text', payload: Buffer.alloc(0), compress: true })],
          [echo('text', '')],
          CLEAN,
          'accepted',
        ),
    ],
    [
      'Send a compressed message in 1-byte frames with a ping after the first; the pong comes, then the echo.',
      PLAIN_OFFER,
      () => {
        const data = compressAlone(SAMPLE);
        const frames = Array.from(data, (byte, i) =>
          i === 0
            ? text(Buffer.from([byte]), { rsv: 4, fin: false })
            : continuation(Buffer.from([byte]), { fin: i === data.length - 1 }),
        );
        frames.splice(1, 0, ping('between'));
        return script(
          [send(...frames)],
          [pong('between'), echo('text', SAMPLE)],
          CLEAN,
          'accepted',
        );
      },
    ],
    [
      'Send a compressed message ending with an empty continuation frame; it is echoed.',
      PLAIN_OFFER,
      () =>
        script(
          [send(text(compressAlone(SAMPLE), { rsv: 4, fin: false }), continuation(''))],
          [echo('text', SAMPLE)],
          CLEAN,
          'accepted',
        ),
    ],
    [
      'Send a message compressed into a DEFLATE block with BFINAL set (RFC 7692 §7.2.3.4); it is echoed.',
      NO_CLIENT_CONTEXT,
      () =>
        script(
          [send(text(deflateRawSync(SAMPLE), { rsv: 4 }))],
          [echo('text', SAMPLE)],
          CLEAN,
          'accepted',
        ),
    ],
    [
      'Send a message as a DEFLATE block with no compression (RFC 7692 §7.2.3.3); it is echoed.',
      NO_CLIENT_CONTEXT,
      () =>
        script(
          [send(text(compressAlone(SAMPLE, 0), { rsv: 4 }))],
          [echo('text', SAMPLE)],
          CLEAN,
          'accepted',
        ),
    ],
    [
      'Send a message made of two DEFLATE blocks, stored then compressed (RFC 7692 §7.2.3.5); it is echoed.',
      NO_CLIENT_CONTEXT,
      () => {
        const first = SAMPLE.subarray(0, 20);
        const second = SAMPLE.subarray(20);
        const data = Buffer.concat([storedBlock(first), compressAlone(second)]);
        return script([send(text(data, { rsv: 4 }))], [echo('text', SAMPLE)], CLEAN, 'accepted');
      },
    ],
    [
      'Send a compressed binary message of zeros inflating to exactly the limit; it is echoed.',
      PLAIN_OFFER,
      (context) => {
        const payload = Buffer.alloc(context.maxMessageBytes);
        return script(
          [message({ type: 'binary', payload, compress: true })],
          [echo('binary', payload)],
          CLEAN,
          'accepted',
        );
      },
      30_000,
    ],
    [
      'Send a compressed binary message of zeros inflating to the limit + 1 bytes; failed with 1009 (RFC 6455 §7.4.1).',
      PLAIN_OFFER,
      (context) => {
        const payload = Buffer.alloc(context.maxMessageBytes + 1);
        return script(
          [message({ type: 'binary', payload, compress: true })],
          [],
          fail([1009]),
          'accepted',
        );
      },
      30_000,
    ],
    [
      'Send compressed, uncompressed, then compressed messages that repeat each other; all are echoed (only compressed messages feed the LZ77 window, RFC 7692 §7.2.3.2).',
      PLAIN_OFFER,
      () => {
        const a = corpusMessage(proseCorpus(), 'text', 3000, 1);
        const b = corpusMessage(proseCorpus(), 'text', 3000, 2);
        return script(
          [
            message({ type: 'text', payload: a, compress: true }),
            message({ type: 'text', payload: b }),
            message({ type: 'text', payload: Buffer.concat([b, a]), compress: true }),
            message({ type: 'text', payload: a, compress: true }),
          ],
          [echo('text', a), echo('text', b), echo('text', Buffer.concat([b, a])), echo('text', a)],
          CLEAN,
          'accepted',
        );
      },
    ],
    [
      'Send 64 compressed messages alternating 100 and 5000 bytes (so the server compresses only some answers); all are echoed.',
      PLAIN_OFFER,
      () =>
        script(
          [
            compressedRoundtrips(100, 0, (index) => ({
              type: 'binary',
              payload: corpusMessage(pdfCorpus(), 'binary', index % 2 === 0 ? 100 : 5000, index),
            })),
          ],
          [],
          CLEAN,
          'accepted',
        ),
    ],
    [
      'Offer an invalid permessage-deflate (server_max_window_bits=7), then send a frame with RSV1; declined, then failed with 1002.',
      'permessage-deflate; server_max_window_bits=7',
      () => script([send(text(compressAlone(SAMPLE), { rsv: 4 }))], [], fail(), 'declined'),
    ],
  ];
  return cases.map(([description, offer, build, timeoutMs], i) =>
    defineCase(
      '12',
      `12.6.${i + 1}`,
      description,
      build,
      timeoutMs === undefined ? { offer } : { offer, timeoutMs },
    ),
  );
}

export const compressionCases: ConformanceCase[] = [
  ...payloadGroup('12.1', 'JSON text', 'text', jsonCorpus),
  ...payloadGroup('12.2', 'bitmap, binary', 'binary', bitmapCorpus),
  // Autobahn sends its German prose (Goethe's Faust) as binary messages.
  ...payloadGroup('12.3', 'German prose, binary', 'binary', proseCorpus),
  ...payloadGroup('12.4', 'HTML text', 'text', htmlCorpus),
  ...payloadGroup('12.5', 'PDF-like, binary', 'binary', pdfCorpus),
  ...ruleCases(),
];
