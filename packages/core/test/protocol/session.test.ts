import {
  clientFrame,
  encodeFrameHeader,
  encodeFrame as encodeTestFrame,
  RFC_MASK,
  serverFrame,
} from '@wsgate/test-kit/wire';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type ClosingCode, catalogue } from '../../src/errors/catalogue.js';
import { closeReasonFor } from '../../src/errors/close-reason.js';
import { createSessionCompression, ZlibMessageCodec } from '../../src/node/zlib-codec.js';
import type { DeflateAgreement } from '../../src/protocol/permessage-deflate.js';
import {
  type SessionOptions,
  SessionState,
  type WebSocketSession,
} from '../../src/protocol/session.js';
import {
  concat,
  fromUtf8,
  hex,
  oneByteChunks,
  patternBytes,
  splitAt,
  toHex,
  utf8,
} from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';
import { createSession, type RecordingHandler, readClosePayload } from '../helpers/session.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

function server(options: Partial<SessionOptions> = {}) {
  return createSession({ side: 'server', ...options });
}

function client(options: Partial<SessionOptions> = {}) {
  return createSession({ side: 'client', ...options });
}

function closePayload(code: number, reason: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(Uint8Array.of(code >> 8, code & 0xff), reason);
}

/**
 * The session failed with `code`: reported once, and exactly one close frame went out carrying
 * the catalogue's close code and a reason that starts with the code and fits in 123 bytes.
 */
function expectFailure(
  handler: RecordingHandler,
  session: WebSocketSession,
  code: ClosingCode,
): void {
  expect(handler.failures()).toEqual([code]);
  const closes = handler.sentFrames().filter((frame) => frame.opcode === CLOSE);
  expect(closes).toHaveLength(1);
  const sent = readClosePayload(closes[0]?.payload ?? new Uint8Array(0));
  expect(sent.code).toBe(catalogue[code].closeCode);
  expect(sent.reason).toBe(closeReasonFor(code));
  expect(sent.reason.startsWith(`${code}: `)).toBe(true);
  expect(utf8(sent.reason).length).toBeLessThanOrEqual(123);
  expect(session.state).toBe(SessionState.closed);
  expect(session.closeSent).toBe(true);
}

/** The code of the single close frame transmitted so far. */
function sentCloseCodes(handler: RecordingHandler): number[] {
  return handler
    .sentFrames()
    .filter((frame) => frame.opcode === CLOSE)
    .map((frame) => readClosePayload(frame.payload).code);
}

/** One allocator for frames and for message buffers, to count every allocation. */
function bothAllocators(allocate: (size: number) => Uint8Array) {
  return { allocate, allocateMessage: allocate };
}

describe('RFC 6455 §5.1 / §5.3 masking direction', () => {
  test('server session fails an unmasked client frame with 1002', () => {
    const { session, handler } = server();
    session.receive(serverFrame(TEXT, utf8('Hello')));
    expectFailure(handler, session, 'WSG_FRAME_UNMASKED');
    expect(handler.messages()).toEqual([]);
  });

  test('server session fails an unmasked control frame with 1002', () => {
    const { session, handler } = server();
    session.receive(serverFrame(PING));
    expectFailure(handler, session, 'WSG_FRAME_UNMASKED');
  });

  test('client session fails a masked server frame with 1002', () => {
    const { session, handler } = client();
    session.receive(clientFrame(TEXT, utf8('Hello')));
    expectFailure(handler, session, 'WSG_FRAME_MASKED');
    expect(handler.messages()).toEqual([]);
  });

  test('server session accepts the masked "Hello" of §5.7', () => {
    const { session, handler } = server();
    session.receive(hex('81 85 37fa213d 7f9f4d5158'));
    expect(handler.messages().map((m) => m.text)).toEqual(['Hello']);
    expect(handler.failures()).toEqual([]);
  });

  test('client session accepts the unmasked "Hello" of §5.7', () => {
    const { session, handler } = client();
    session.receive(hex('81 05 48656c6c6f'));
    expect(handler.messages().map((m) => m.text)).toEqual(['Hello']);
  });

  test('a server sends every frame unmasked; the "Hello" text frame is the one of §5.7', () => {
    const { session, handler } = server();
    session.send(utf8('Hello'), true);
    expect(toHex(concat(...handler.transmitted))).toBe('810548656c6c6f');
    session.ping(utf8('Hello'));
    session.close(1000, 'bye');
    expect(handler.sentFrames().map((f) => f.masked)).toEqual([false, false, false]);
  });

  test('a client masks every frame it sends: data, ping, pong and close', () => {
    const { session, handler } = client();
    session.send(utf8('Hello'), true);
    session.send(patternBytes(70_000), false);
    session.ping(utf8('p'));
    session.pong(utf8('q'));
    session.close(1000);
    const frames = handler.sentFrames();
    expect(frames.map((f) => [f.opcode, f.masked])).toEqual([
      [TEXT, true],
      [BINARY, true],
      [PING, true],
      [PONG, true],
      [CLOSE, true],
    ]);
    expect(fromUtf8(frames[0]?.payload ?? new Uint8Array(0))).toBe('Hello');
    expect(toHex(frames[1]?.payload ?? new Uint8Array(0))).toBe(toHex(patternBytes(70_000)));
  });
});

describe('RFC 6455 §5.2 base framing', () => {
  test.each([
    ['RSV1', { rsv1: true }],
    ['RSV2', { rsv2: true }],
    ['RSV3', { rsv3: true }],
  ])('%s without a negotiated extension fails with WSG_FRAME_RSV_BITS (1002)', (_name, bits) => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, utf8('Hello'), bits));
    expectFailure(handler, session, 'WSG_FRAME_RSV_BITS');
    expect(handler.messages()).toEqual([]);
  });

  test('RSV2 on a ping fails with WSG_FRAME_RSV_BITS', () => {
    const { session, handler } = server();
    session.receive(clientFrame(PING, utf8('x'), { rsv2: true }));
    expectFailure(handler, session, 'WSG_FRAME_RSV_BITS');
    expect(handler.sentFrames().filter((f) => f.opcode === PONG)).toEqual([]);
  });

  test.each([3, 4, 5, 6, 7])(
    'reserved non-control opcode %i fails with WSG_FRAME_OPCODE_UNKNOWN (1002)',
    (opcode) => {
      const { session, handler } = server();
      session.receive(clientFrame(opcode, utf8('x')));
      expectFailure(handler, session, 'WSG_FRAME_OPCODE_UNKNOWN');
    },
  );

  test.each([11, 12, 13, 14, 15])(
    'reserved control opcode %i fails with WSG_FRAME_OPCODE_UNKNOWN (1002)',
    (opcode) => {
      const { session, handler } = server();
      session.receive(clientFrame(opcode, utf8('x')));
      expectFailure(handler, session, 'WSG_FRAME_OPCODE_UNKNOWN');
    },
  );

  test('a reserved opcode in the middle of a fragmented message fails too', () => {
    const { session, handler } = server();
    session.receive(
      concat(clientFrame(TEXT, utf8('a'), { fin: false }), clientFrame(3, utf8('b'))),
    );
    expectFailure(handler, session, 'WSG_FRAME_OPCODE_UNKNOWN');
  });

  test('a 64-bit length with its most significant bit set fails with WSG_FRAME_LENGTH_INVALID (1002)', () => {
    const { session, handler } = server();
    session.receive(hex('82 ff 8000000000000000 37fa213d'));
    expectFailure(handler, session, 'WSG_FRAME_LENGTH_INVALID');
  });
});

describe('RFC 6455 §5.5 control frames', () => {
  test('a ping of 125 bytes is answered; one of 126 fails with WSG_CONTROL_FRAME_TOO_LONG (1002)', () => {
    const ok = server();
    ok.session.receive(clientFrame(PING, patternBytes(125)));
    expect(ok.handler.sentFrames().map((f) => [f.opcode, f.payload.length])).toEqual([[PONG, 125]]);

    const { session, handler } = server();
    session.receive(clientFrame(PING, patternBytes(126)));
    expectFailure(handler, session, 'WSG_CONTROL_FRAME_TOO_LONG');
    expect(handler.events.filter((e) => e.type === 'ping')).toEqual([]);
  });

  test.each([PING, PONG, CLOSE])(
    'control opcode %i over 125 bytes fails from its header alone',
    (opcode) => {
      const { session, handler } = server();
      session.receive(encodeFrameHeader({ opcode, mask: RFC_MASK }, 126));
      expectFailure(handler, session, 'WSG_CONTROL_FRAME_TOO_LONG');
    },
  );

  test.each([PING, PONG, CLOSE])(
    'control opcode %i with FIN clear fails with WSG_CONTROL_FRAME_FRAGMENTED (1002)',
    (opcode) => {
      const { session, handler } = server();
      session.receive(clientFrame(opcode, new Uint8Array(0), { fin: false }));
      expectFailure(handler, session, 'WSG_CONTROL_FRAME_FRAGMENTED');
      expect(handler.events.filter((e) => e.type !== 'failure')).toEqual([]);
    },
  );
});

describe('RFC 6455 §5.5.2 / §5.5.3 ping and pong', () => {
  test('a ping is answered with a pong carrying the same payload, and reported', () => {
    const { session, handler } = server();
    session.receive(clientFrame(PING, utf8('Hello')));
    expect(handler.sentFrames().map((f) => [f.opcode, fromUtf8(f.payload), f.masked])).toEqual([
      [PONG, 'Hello', false],
    ]);
    expect(handler.events).toEqual([{ type: 'ping', payload: utf8('Hello') }]);
  });

  test('a client answers the unmasked ping of §5.7 with a masked pong of the same payload', () => {
    const { session, handler } = client();
    session.receive(hex('89 05 48656c6c6f'));
    expect(handler.sentFrames().map((f) => [f.opcode, fromUtf8(f.payload), f.masked])).toEqual([
      [PONG, 'Hello', true],
    ]);
  });

  test('an empty ping gets an empty pong', () => {
    const { session, handler } = server();
    session.receive(clientFrame(PING));
    expect(toHex(concat(...handler.transmitted))).toBe('8a00');
  });

  test('a ping fed one byte at a time is answered once, with the whole payload', () => {
    const { session, handler } = server();
    for (const chunk of oneByteChunks(clientFrame(PING, utf8('piecewise')))) session.receive(chunk);
    expect(handler.sentFrames().map((f) => fromUtf8(f.payload))).toEqual(['piecewise']);
  });

  test('with autoPong off, a ping is reported but not answered', () => {
    const { session, handler } = server({ autoPong: false });
    session.receive(clientFrame(PING, utf8('x')));
    expect(handler.transmitted).toEqual([]);
    expect(handler.events).toEqual([{ type: 'ping', payload: utf8('x') }]);
  });

  test('a pong is delivered to onPong and not answered', () => {
    const { session, handler } = server();
    session.receive(clientFrame(PONG, utf8('beat')));
    expect(handler.events).toEqual([{ type: 'pong', payload: utf8('beat') }]);
    expect(handler.transmitted).toEqual([]);
  });

  test('the masked pong of §5.7 is delivered unmasked', () => {
    const { session, handler } = server();
    session.receive(hex('8a 85 37fa213d 7f9f4d5158'));
    expect(handler.events).toEqual([{ type: 'pong', payload: utf8('Hello') }]);
  });

  test('ping() and pong() refuse payloads over 125 bytes', () => {
    const { session } = server();
    expect(() => session.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => session.pong(new Uint8Array(126))).toThrow(RangeError);
    expect(session.ping(new Uint8Array(125))).toBe(true);
  });
});

describe('RFC 6455 §5.4 fragmentation', () => {
  test('the fragmented "Hel" + "lo" of §5.7 is one message', () => {
    const { session, handler } = client();
    session.receive(hex('01 03 48656c 80 02 6c6f'));
    expect(handler.messages().map((m) => m.text)).toEqual(['Hello']);
  });

  test('control frames interleaved between fragments are handled at once, before the message ends', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, utf8('frag'), { fin: false }));
    session.receive(clientFrame(PING, utf8('p1')));
    expect(handler.sentFrames().map((f) => f.opcode)).toEqual([PONG]);
    session.receive(clientFrame(CONTINUATION, utf8('men'), { fin: false }));
    session.receive(clientFrame(PONG, utf8('p2')));
    session.receive(clientFrame(CONTINUATION, utf8('ted'), { fin: true }));
    expect(handler.events).toEqual([
      { type: 'ping', payload: utf8('p1') },
      { type: 'pong', payload: utf8('p2') },
      { type: 'message', data: utf8('fragmented'), isText: true },
    ]);
  });

  test('empty fragments are allowed at the start, middle and end', () => {
    const { session, handler } = server();
    session.receive(
      concat(
        clientFrame(BINARY, new Uint8Array(0), { fin: false }),
        clientFrame(CONTINUATION, hex('0102'), { fin: false }),
        clientFrame(CONTINUATION, new Uint8Array(0), { fin: false }),
        clientFrame(CONTINUATION, hex('03'), { fin: false }),
        clientFrame(CONTINUATION, new Uint8Array(0)),
      ),
    );
    expect(handler.messages().map((m) => [toHex(m.data), m.isText])).toEqual([['010203', false]]);
  });

  test('a message read in more pieces than are kept as views (one byte at a time) arrives whole', () => {
    const { session, handler } = server();
    const message = utf8('piece by piece, '.repeat(20));
    for (const chunk of oneByteChunks(clientFrame(TEXT, message))) session.receive(chunk);
    expect(handler.messages().map((m) => m.text)).toEqual([fromUtf8(message)]);
  });

  test('a message of 100 fragments, each read on its own, arrives whole and in order', () => {
    const { session, handler } = server();
    const fragments = Array.from({ length: 100 }, (_, i) => utf8(`${i},`));
    fragments.forEach((fragment, i) => {
      session.receive(
        clientFrame(i === 0 ? BINARY : CONTINUATION, fragment, { fin: i === fragments.length - 1 }),
      );
    });
    expect(handler.messages().map((m) => fromUtf8(m.data))).toEqual([
      fragments.map(fromUtf8).join(''),
    ]);
  });

  test('a message split over two reads is delivered whole, and the next one after it', () => {
    const { session, handler } = server();
    const stream = concat(clientFrame(BINARY, hex('0102030405')), clientFrame(BINARY, hex('06')));
    session.receive(stream.subarray(0, 4));
    session.receive(stream.subarray(4));
    expect(handler.messages().map((m) => toHex(m.data))).toEqual(['0102030405', '06']);
  });

  test('an empty text message is delivered', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT));
    expect(handler.messages()).toEqual([{ text: '', data: new Uint8Array(0), isText: true }]);
  });

  test('a continuation frame without a message in progress fails with WSG_CONTINUATION_UNEXPECTED (1002)', () => {
    const { session, handler } = server();
    session.receive(clientFrame(CONTINUATION, utf8('lo')));
    expectFailure(handler, session, 'WSG_CONTINUATION_UNEXPECTED');
  });

  test('a continuation after a finished message fails with WSG_CONTINUATION_UNEXPECTED', () => {
    const { session, handler } = server();
    session.receive(
      concat(clientFrame(TEXT, utf8('done')), clientFrame(CONTINUATION, utf8('more'))),
    );
    expect(handler.messages().map((m) => m.text)).toEqual(['done']);
    expectFailure(handler, session, 'WSG_CONTINUATION_UNEXPECTED');
  });

  test.each([
    ['text', TEXT],
    ['binary', BINARY],
  ])(
    'a new %s frame in the middle of a fragmented message fails with WSG_CONTINUATION_EXPECTED (1002)',
    (_name, opcode) => {
      const { session, handler } = server();
      session.receive(
        concat(clientFrame(TEXT, utf8('Hel'), { fin: false }), clientFrame(opcode, utf8('lo'))),
      );
      expectFailure(handler, session, 'WSG_CONTINUATION_EXPECTED');
      expect(handler.messages()).toEqual([]);
    },
  );

  test('a 4 MiB message in 64-byte fragments (65,536 frames) is reassembled exactly, with few allocations', () => {
    const message = patternBytes(4 * 1024 * 1024, 99);
    const frames: Uint8Array[] = [];
    for (let offset = 0, index = 0; offset < message.length; offset += 64, index++) {
      frames.push(
        encodeTestFrame({
          opcode: index === 0 ? BINARY : CONTINUATION,
          fin: offset + 64 >= message.length,
          payload: message.subarray(offset, offset + 64),
          mask: RFC_MASK,
        }),
      );
    }
    expect(frames).toHaveLength(65_536);
    const stream = concat(...frames);
    let allocations = 0;
    const { session, handler } = server({
      // Message buffers too (allocateMessage): every allocation counts.
      ...bothAllocators((size) => {
        allocations++;
        return new Uint8Array(size);
      }),
    });
    for (let offset = 0; offset < stream.length; offset += 65_536) {
      session.receive(stream.slice(offset, offset + 65_536));
    }
    expect(handler.failures()).toEqual([]);
    const received = handler.messages();
    expect(received).toHaveLength(1);
    expect(received[0]?.isText).toBe(false);
    expect(Buffer.from(received[0]?.data ?? new Uint8Array(0)).equals(Buffer.from(message))).toBe(
      true,
    );
    // The buffer grows by doubling: about log2(65,536) allocations, not one per fragment.
    expect(allocations).toBeLessThan(40);
  });

  test('a text message cut into 7-byte fragments inside multi-byte characters is reassembled', () => {
    const text = 'é€😀 mixed text, '.repeat(2000);
    const bytes = utf8(text);
    const frames: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length; offset += 7) {
      frames.push(
        clientFrame(offset === 0 ? TEXT : CONTINUATION, bytes.subarray(offset, offset + 7), {
          fin: offset + 7 >= bytes.length,
        }),
      );
    }
    const { session, handler } = server();
    session.receive(concat(...frames));
    expect(handler.failures()).toEqual([]);
    expect(handler.messages().map((m) => m.text)).toEqual([text]);
  });
});

describe('RFC 6455 §8.1 text messages must be valid UTF-8', () => {
  test('invalid UTF-8 in the middle of a fragmented message fails on the frame holding the bad byte (1007)', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, utf8('Hel'), { fin: false }));
    expect(handler.transmitted).toEqual([]);
    session.receive(clientFrame(CONTINUATION, hex('6c ff'), { fin: false }));
    // Failed before the rest of the message exists.
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
    session.receive(clientFrame(CONTINUATION, utf8('lo')));
    expect(handler.messages()).toEqual([]);
    expect(handler.failures()).toEqual(['WSG_TEXT_INVALID_UTF8']);
  });

  test('invalid UTF-8 inside one frame fed in pieces fails before the frame is complete (1007)', () => {
    const payload = concat(
      utf8('valid text '),
      hex('ed a0 80'),
      utf8(' and much more text after it'),
    );
    const frame = clientFrame(TEXT, payload);
    const { session, handler } = server();
    // Header (6 bytes) plus the payload up to and including the first byte that cannot be valid.
    const cut = 6 + utf8('valid text ').length + 2;
    session.receive(frame.slice(0, cut - 1));
    expect(handler.failures()).toEqual([]);
    session.receive(frame.slice(cut - 1, cut));
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
  });

  test('a character split across two fragments is valid', () => {
    const { session, handler } = server();
    session.receive(
      concat(clientFrame(TEXT, hex('e2 82'), { fin: false }), clientFrame(CONTINUATION, hex('ac'))),
    );
    expect(handler.messages().map((m) => m.text)).toEqual(['€']);
  });

  test('an incomplete character continued by ASCII in the next fragment fails on that fragment', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, hex('e2 82'), { fin: false }));
    expect(handler.failures()).toEqual([]);
    session.receive(clientFrame(CONTINUATION, hex('41'), { fin: false }));
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
  });

  test('a text message that ends in the middle of a character fails with 1007', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, hex('41 e2 82')));
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
    expect(handler.messages()).toEqual([]);
  });

  test('validation restarts with each message', () => {
    const { session, handler } = server();
    session.receive(concat(clientFrame(TEXT, utf8('first')), clientFrame(TEXT, utf8('second'))));
    expect(handler.messages().map((m) => m.text)).toEqual(['first', 'second']);
  });

  test('binary messages are not validated', () => {
    const { session, handler } = server();
    session.receive(clientFrame(BINARY, hex('ff fe ed a0 80')));
    expect(handler.messages().map((m) => toHex(m.data))).toEqual(['fffeeda080']);
  });
});

describe('message size limit (close 1009, RFC 6455 §7.4.1)', () => {
  test('the limit is checked from the declared length: the 1009 close is sent after the header alone', () => {
    const { session, handler } = server({ maxMessageBytes: 1000 });
    session.receive(encodeFrameHeader({ opcode: BINARY, mask: RFC_MASK }, 1001));
    expectFailure(handler, session, 'WSG_MESSAGE_TOO_BIG');
  });

  test('a message of exactly the limit is delivered', () => {
    const { session, handler } = server({ maxMessageBytes: 1000 });
    session.receive(clientFrame(BINARY, patternBytes(1000)));
    expect(handler.messages()).toHaveLength(1);
    expect(handler.failures()).toEqual([]);
  });

  test('fragments are added up: the header that crosses the limit fails the message', () => {
    const { session, handler } = server({ maxMessageBytes: 1000 });
    session.receive(clientFrame(BINARY, patternBytes(600), { fin: false }));
    session.receive(clientFrame(CONTINUATION, patternBytes(400), { fin: false }));
    expect(handler.failures()).toEqual([]);
    session.receive(encodeFrameHeader({ opcode: CONTINUATION, mask: RFC_MASK }, 1));
    expectFailure(handler, session, 'WSG_MESSAGE_TOO_BIG');
  });

  test('a 64-bit length of 2^62 fails at once with 1009 and no allocation', () => {
    let allocations = 0;
    const { session, handler } = server({
      // Message buffers too (allocateMessage): every allocation counts.
      ...bothAllocators((size) => {
        allocations++;
        return new Uint8Array(size);
      }),
    });
    session.receive(hex('82 ff 4000000000000000 37fa213d'));
    expectFailure(handler, session, 'WSG_MESSAGE_TOO_BIG');
    // Only the close frame itself was allocated.
    expect(allocations).toBe(1);
  });

  test('a header announcing 8 MiB with one byte of payload reserves at most 256 KiB (RFC 6455 §10.4)', () => {
    const sizes: number[] = [];
    const { session, handler } = server({
      // Message buffers too (allocateMessage): every allocation counts.
      ...bothAllocators((size) => {
        sizes.push(size);
        return new Uint8Array(size);
      }),
    });
    session.receive(encodeFrameHeader({ opcode: BINARY, mask: RFC_MASK }, 8 * 1024 * 1024));
    session.receive(Uint8Array.of(0x42));
    expect(handler.failures()).toEqual([]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024 + 1);
  });

  test('a large single frame arriving in pieces grows with the bytes and ends at its exact size', () => {
    const message = patternBytes(3 * 1024 * 1024 + 17, 5);
    const sizes: number[] = [];
    const { session, handler } = server({
      // Message buffers too (allocateMessage): every allocation counts.
      ...bothAllocators((size) => {
        sizes.push(size);
        return new Uint8Array(size);
      }),
    });
    const frame = clientFrame(BINARY, message);
    for (let offset = 0; offset < frame.length; offset += 65_536)
      session.receive(frame.slice(offset, offset + 65_536));
    expect(handler.failures()).toEqual([]);
    expect(Buffer.from(handler.messages()[0]?.data ?? []).equals(Buffer.from(message))).toBe(true);
    // Doubling from what arrived: a handful of buffers, the last one the frame (and at most 7
    // bytes more, to align the copy with the masked pieces it unmasks on the way).
    const buffers = sizes.filter((size) => size > 1024);
    expect(buffers.length).toBeLessThan(10);
    expect(buffers.at(-1)).toBeGreaterThanOrEqual(message.length);
    expect(buffers.at(-1)).toBeLessThanOrEqual(message.length + 7);
  });

  test('a long binary message in frames with different keys, read in chunks of odd sizes, arrives unmasked', () => {
    // Long pieces are kept masked and unmasked while they are joined: every alignment of piece
    // and copy, every phase, and keys changing from frame to frame.
    const message = patternBytes(300_000 + 13, 9);
    const keys = [RFC_MASK, hex('01 02 03 04'), hex('ff 00 ff 01')];
    const bounds = [0, 70_001, 70_002, 200_000, message.length];
    const frames = concat(
      ...bounds.slice(1).map((end, index) =>
        encodeTestFrame({
          opcode: index === 0 ? BINARY : CONTINUATION,
          fin: end === message.length,
          mask: keys[index % keys.length],
          payload: message.subarray(bounds[index] as number, end),
        }),
      ),
    );
    for (const chunkSize of [65_536, 65_531, 1_500, 100_003]) {
      const { session, handler } = server();
      for (let offset = 0; offset < frames.length; offset += chunkSize)
        session.receive(frames.slice(offset, offset + chunkSize));
      expect(handler.failures(), `chunks of ${chunkSize}`).toEqual([]);
      const received = handler.messages()[0]?.data ?? new Uint8Array(0);
      expect(Buffer.from(received).equals(Buffer.from(message)), `chunks of ${chunkSize}`).toBe(
        true,
      );
    }
  });

  test('a message of more long masked fragments than are kept as views is unmasked as it is copied into one buffer', () => {
    // 100 fragments of 20 KiB: the first 64 are kept as masked views, joined (unmasked) into a
    // buffer, and the rest are unmasked while they are copied behind them.
    const fragment = 20 * 1024;
    const count = 100;
    const message = patternBytes(fragment * count + 3, 4);
    const keys = [RFC_MASK, hex('01 02 03 04'), hex('ff 00 ff 01'), hex('00 00 00 00')];
    const frames: Uint8Array[] = [];
    for (let index = 0, start = 0; start < message.length; index++, start += fragment) {
      const end = Math.min(start + fragment, message.length);
      frames.push(
        encodeTestFrame({
          opcode: index === 0 ? BINARY : CONTINUATION,
          fin: end === message.length,
          mask: keys[index % keys.length],
          payload: message.subarray(start, end),
        }),
      );
    }
    const { session, handler } = server();
    for (const frame of frames) session.receive(frame.slice());
    expect(handler.failures()).toEqual([]);
    const received = handler.messages()[0]?.data ?? new Uint8Array(0);
    expect(received.length).toBe(message.length);
    expect(Buffer.from(received).equals(Buffer.from(message))).toBe(true);
  });

  test('the limit applies to each message separately', () => {
    const { session, handler } = server({ maxMessageBytes: 10 });
    session.receive(
      concat(clientFrame(BINARY, patternBytes(10)), clientFrame(BINARY, patternBytes(10))),
    );
    expect(handler.messages()).toHaveLength(2);
  });

  test('control frames do not count towards the message limit', () => {
    const { session, handler } = server({ maxMessageBytes: 10 });
    session.receive(
      concat(
        clientFrame(TEXT, utf8('12345'), { fin: false }),
        clientFrame(PING, patternBytes(100)),
        clientFrame(CONTINUATION, utf8('67890')),
      ),
    );
    expect(handler.messages().map((m) => m.text)).toEqual(['1234567890']);
  });
});

describe('RFC 6455 §5.5.1 / §7 the closing handshake', () => {
  test('an empty close is answered with an empty close and reported as 1005', () => {
    const { session, handler } = server();
    session.receive(clientFrame(CLOSE));
    expect(toHex(concat(...handler.transmitted))).toBe('8800');
    expect(handler.events).toEqual([{ type: 'close', code: 1005, reason: '' }]);
    expect(session.closeCode).toBe(1005);
    expect(session.closeReceived).toBe(true);
    expect(session.state).toBe(SessionState.closed);
  });

  test('a 1-byte close payload fails with WSG_CLOSE_PAYLOAD_INVALID (1002)', () => {
    const { session, handler } = server();
    session.receive(clientFrame(CLOSE, hex('03')));
    expectFailure(handler, session, 'WSG_CLOSE_PAYLOAD_INVALID');
  });

  test.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])(
    'close code %i is valid: reported with its reason and echoed',
    (code) => {
      const { session, handler } = server();
      session.receive(clientFrame(CLOSE, closePayload(code, utf8('bye'))));
      expect(handler.events).toEqual([{ type: 'close', code, reason: 'bye' }]);
      expect(sentCloseCodes(handler)).toEqual([code]);
      expect(session.closeCode).toBe(code);
      expect(session.closeReason).toBe('bye');
    },
  );

  test.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])(
    'close code %i is invalid and fails with WSG_CLOSE_CODE_INVALID (1002)',
    (code) => {
      const { session, handler } = server();
      session.receive(clientFrame(CLOSE, closePayload(code)));
      expectFailure(handler, session, 'WSG_CLOSE_CODE_INVALID');
      expect(handler.events.filter((e) => e.type === 'close')).toEqual([]);
    },
  );

  test('a close reason that is not valid UTF-8 fails with WSG_CLOSE_REASON_INVALID_UTF8 (1007)', () => {
    const { session, handler } = server();
    session.receive(
      clientFrame(CLOSE, closePayload(1000, hex('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80'))),
    );
    expectFailure(handler, session, 'WSG_CLOSE_REASON_INVALID_UTF8');
  });

  test('nothing is processed after a close frame, in the same chunk or later', () => {
    const { session, handler } = server();
    session.receive(
      concat(
        clientFrame(CLOSE, closePayload(1000)),
        clientFrame(TEXT, utf8('late')),
        clientFrame(PING),
      ),
    );
    session.receive(clientFrame(TEXT, utf8('later')));
    session.receive(hex('ff ff ff'));
    expect(handler.events).toEqual([{ type: 'close', code: 1000, reason: '' }]);
    expect(handler.sentFrames().map((f) => f.opcode)).toEqual([CLOSE]);
  });

  test('a close frame in the middle of a fragmented message ends it without delivering it', () => {
    const { session, handler } = server();
    session.receive(
      concat(
        clientFrame(TEXT, utf8('half'), { fin: false }),
        clientFrame(CLOSE, closePayload(1001)),
      ),
    );
    session.receive(clientFrame(CONTINUATION, utf8(' more')));
    expect(handler.events).toEqual([{ type: 'close', code: 1001, reason: '' }]);
  });

  test("after close() the session sends no data; the peer's close completes the handshake without a second close", () => {
    const { session, handler } = server();
    expect(session.close(1000, 'bye')).toBe(true);
    expect(session.state).toBe(SessionState.closing);
    expect(session.closeSent).toBe(true);
    expect(session.send(utf8('x'), true)).toBe(false);
    expect(session.ping()).toBe(false);
    expect(session.close()).toBe(false);
    session.receive(clientFrame(CLOSE, closePayload(1000)));
    expect(handler.sentFrames().map((f) => [f.opcode, readClosePayload(f.payload)])).toEqual([
      [CLOSE, { code: 1000, reason: 'bye' }],
    ]);
    expect(session.state).toBe(SessionState.closed);
    expect(handler.events).toEqual([{ type: 'close', code: 1000, reason: '' }]);
  });

  test('messages still arrive while our close is unanswered, but pings are no longer answered', () => {
    const { session, handler } = server();
    session.close();
    session.receive(concat(clientFrame(TEXT, utf8('in flight')), clientFrame(PING, utf8('p'))));
    expect(handler.messages().map((m) => m.text)).toEqual(['in flight']);
    expect(handler.sentFrames().map((f) => f.opcode)).toEqual([CLOSE]);
    expect(handler.events.at(-1)).toEqual({ type: 'ping', payload: utf8('p') });
  });

  test('a protocol error after our close is reported without a second close frame', () => {
    const { session, handler } = server();
    session.close(4000);
    session.receive(serverFrame(TEXT, utf8('unmasked')));
    expect(handler.failures()).toEqual(['WSG_FRAME_UNMASKED']);
    expect(sentCloseCodes(handler)).toEqual([4000]);
    expect(session.state).toBe(SessionState.closed);
  });

  test('close(1005) sends a close frame without a code', () => {
    const { session, handler } = server();
    session.close(1005);
    expect(toHex(concat(...handler.transmitted))).toBe('8800');
  });

  test('close() with a code that may not be sent throws and leaves the session able to close properly', () => {
    const { session, handler } = server();
    expect(() => session.close(1006)).toThrow(RangeError);
    expect(() => session.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(session.closeSent).toBe(false);
    expect(session.state).toBe(SessionState.open);
    expect(session.send(utf8('still open'), true)).toBe(true);
    expect(session.close(1000)).toBe(true);
    expect(sentCloseCodes(handler)).toEqual([1000]);
  });

  test('end of stream without a close frame leaves the close code at 1006 and stops parsing', () => {
    const { session, handler } = server();
    session.receive(clientFrame(TEXT, utf8('Hel'), { fin: false }));
    session.receiveEof();
    session.receive(clientFrame(CONTINUATION, utf8('lo')));
    expect(session.state).toBe(SessionState.closed);
    expect(session.closeCode).toBe(1006);
    expect(handler.events).toEqual([]);
    expect(session.send(utf8('x'), true)).toBe(false);
  });

  test('nothing is parsed after a failure', () => {
    const { session, handler } = server();
    session.receive(concat(serverFrame(TEXT, utf8('unmasked')), clientFrame(TEXT, utf8('masked'))));
    session.receive(clientFrame(PING));
    expect(handler.events.map((e) => e.type)).toEqual(['failure']);
    expect(handler.sentFrames().map((f) => f.opcode)).toEqual([CLOSE]);
  });
});

// --- RFC 7692 -----------------------------------------------------------------------------

const agreement: DeflateAgreement = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function compressedServer(options: Partial<SessionOptions> = {}) {
  return server({
    compression: createSessionCompression(agreement, 'server', { thresholdBytes: 0 }),
    ...options,
  });
}

function compressedClient(options: Partial<SessionOptions> = {}) {
  return client({
    compression: createSessionCompression(agreement, 'client', { thresholdBytes: 0 }),
    ...options,
  });
}

/** DEFLATE data of a message as a peer without context takeover would send it. */
function deflate(message: Uint8Array): Uint8Array {
  return new ZlibMessageCodec({
    compressWindowBits: 15,
    compressNoContextTakeover: true,
    decompressWindowBits: 15,
    decompressNoContextTakeover: true,
  }).compress(message);
}

describe('RFC 7692 §7.2.3 compressed messages (examples, with the real zlib codec)', () => {
  test.each([
    ['§7.2.3.1 "Hello" in one compressed frame', 'c1 07 f248cdc9c90700'],
    [
      '§7.2.3.3 "Hello" in a stored (uncompressed) DEFLATE block',
      'c1 0b 0005 00faff 48656c6c6f 00',
    ],
    ['§7.2.3.4 "Hello" compressed and fragmented', '41 03 f248cd 80 04 c9c90700'],
    ['§7.2.3.5 "Hello" in two DEFLATE blocks', 'c1 0d f2480500 0000ffff cac9c90700'],
  ])('a client inflates %s', (_name, fixture) => {
    const { session, handler } = compressedClient();
    session.receive(hex(fixture));
    expect(handler.failures()).toEqual([]);
    expect(handler.messages().map((m) => m.text)).toEqual(['Hello']);
  });

  test('§7.2.3.2: the second "Hello" uses the first as context (sliding window)', () => {
    const { session, handler } = compressedClient();
    session.receive(hex('c1 07 f248cdc9c90700 c1 05 f200110000'));
    expect(handler.messages().map((m) => m.text)).toEqual(['Hello', 'Hello']);
  });

  test('§7.2.3.6: an empty compressed message', () => {
    const { session, handler } = compressedClient();
    session.receive(hex('c1 01 00'));
    expect(handler.messages().map((m) => m.text)).toEqual(['']);
  });

  test('messages a client session compresses are inflated by a server session, in both directions', () => {
    const a = compressedClient();
    const b = compressedServer();
    const texts = ['Hello', 'Hello', 'a longer message '.repeat(100), ''];
    for (const text of texts) a.session.send(utf8(text), true);
    // Received chunks belong to the session (it unmasks payloads and zeroes headers in place):
    // the other side gets copies, so that what was sent can still be read below.
    for (const bytes of a.handler.transmitted) b.session.receive(bytes.slice());
    expect(b.handler.messages().map((m) => m.text)).toEqual(texts);
    expect(a.handler.sentFrames().every((f) => f.rsv1 && f.masked)).toBe(true);
    // Context takeover: the repeated "Hello" costs fewer bytes the second time.
    const sizes = a.handler.sentFrames().map((f) => f.payload.length);
    expect(sizes[1]).toBeLessThan(sizes[0] ?? 0);

    b.session.send(patternBytes(5000), false);
    for (const bytes of b.handler.transmitted) a.session.receive(bytes.slice());
    expect(toHex(a.handler.messages()[0]?.data ?? new Uint8Array(0))).toBe(
      toHex(patternBytes(5000)),
    );
  });

  test('messages under the threshold go out without RSV1, larger ones compressed', () => {
    const { session, handler } = server({
      compression: createSessionCompression(agreement, 'server', { thresholdBytes: 100 }),
    });
    session.send(utf8('short'), true);
    session.send(utf8('x'.repeat(100)), true);
    expect(handler.sentFrames().map((f) => f.rsv1)).toEqual([false, true]);
  });

  test('an uncompressed message (RSV1 clear) is accepted when compression is agreed', () => {
    const { session, handler } = compressedServer();
    session.receive(clientFrame(TEXT, utf8('plain')));
    expect(handler.messages().map((m) => m.text)).toEqual(['plain']);
  });

  test('a compressed message fragmented by the client, RSV1 on the first frame only, is inflated whole', () => {
    const data = deflate(utf8('fragmented and compressed'));
    const { session, handler } = compressedServer();
    session.receive(
      concat(
        clientFrame(TEXT, data.subarray(0, 5), { fin: false, rsv1: true }),
        clientFrame(PING, utf8('between')),
        clientFrame(CONTINUATION, data.subarray(5)),
      ),
    );
    expect(handler.messages().map((m) => m.text)).toEqual(['fragmented and compressed']);
  });
});

describe('RFC 7692 §6 RSV1 rules', () => {
  test('RSV1 on a continuation frame fails with WSG_FRAME_RSV_BITS (1002)', () => {
    const data = deflate(utf8('Hello'));
    const { session, handler } = compressedServer();
    session.receive(
      concat(
        clientFrame(TEXT, data.subarray(0, 2), { fin: false, rsv1: true }),
        clientFrame(CONTINUATION, data.subarray(2), { rsv1: true }),
      ),
    );
    expectFailure(handler, session, 'WSG_FRAME_RSV_BITS');
  });

  test.each([PING, PONG, CLOSE])(
    'RSV1 on control opcode %i fails with WSG_FRAME_RSV_BITS',
    (opcode) => {
      const { session, handler } = compressedServer();
      session.receive(clientFrame(opcode, new Uint8Array(0), { rsv1: true }));
      expectFailure(handler, session, 'WSG_FRAME_RSV_BITS');
    },
  );

  test('RSV2 and RSV3 stay reserved under permessage-deflate', () => {
    for (const bits of [{ rsv2: true }, { rsv3: true }]) {
      const { session, handler } = compressedServer();
      session.receive(clientFrame(TEXT, deflate(utf8('x')), { rsv1: true, ...bits }));
      expectFailure(handler, session, 'WSG_FRAME_RSV_BITS');
    }
  });

  test('corrupt DEFLATE data fails with WSG_COMPRESSED_DATA_INVALID (1007)', () => {
    const { session, handler } = compressedServer();
    session.receive(clientFrame(BINARY, hex('ff ff ff ff ff'), { rsv1: true }));
    expectFailure(handler, session, 'WSG_COMPRESSED_DATA_INVALID');
  });

  test('a message that inflates beyond the limit fails with WSG_MESSAGE_TOO_BIG (1009)', () => {
    const bomb = deflate(new Uint8Array(200_000));
    expect(bomb.length).toBeLessThan(1000);
    const { session, handler } = compressedServer({ maxMessageBytes: 10_000 });
    session.receive(clientFrame(BINARY, bomb, { rsv1: true }));
    expectFailure(handler, session, 'WSG_MESSAGE_TOO_BIG');
  });

  test('compressed text that inflates to invalid UTF-8 fails with WSG_TEXT_INVALID_UTF8 (1007)', () => {
    const { session, handler } = compressedServer();
    session.receive(clientFrame(TEXT, deflate(hex('48 65 ff 6c 6f')), { rsv1: true }));
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
  });

  test('compressed text that inflates to a truncated character fails with 1007', () => {
    const { session, handler } = compressedServer();
    session.receive(clientFrame(TEXT, deflate(hex('48 e2 82')), { rsv1: true }));
    expectFailure(handler, session, 'WSG_TEXT_INVALID_UTF8');
  });
});

// --- properties ---------------------------------------------------------------------------

type Step =
  | {
      readonly kind: 'message';
      readonly text: boolean;
      readonly data: Uint8Array;
      readonly cuts: number[];
    }
  | { readonly kind: 'ping'; readonly data: Uint8Array };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('message' as const),
    text: fc.constant(true),
    data: fc.string({ unit: 'binary', maxLength: 60 }).map(utf8),
    cuts: fc.array(fc.nat({ max: 300 }), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('message' as const),
    text: fc.constant(false),
    data: fc.uint8Array({ maxLength: 300 }),
    cuts: fc.array(fc.nat({ max: 300 }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('ping' as const), data: fc.uint8Array({ maxLength: 125 }) }),
);

/** Frames for a step; messages are cut into fragments at the given offsets (inside characters too). */
function framesOf(step: Step, mask: Uint8Array): Uint8Array[] {
  if (step.kind === 'ping') return [encodeTestFrame({ opcode: PING, payload: step.data, mask })];
  const pieces = splitAt(step.data, step.cuts);
  return pieces.map((piece, index) =>
    encodeTestFrame({
      opcode: index === 0 ? (step.text ? TEXT : BINARY) : CONTINUATION,
      fin: index === pieces.length - 1,
      payload: piece,
      mask,
    }),
  );
}

describe('session properties', () => {
  test('any fragmentation and any chunking of valid client traffic gives the same events', () => {
    fc.assert(
      fc.property(
        fc.array(stepArbitrary, { maxLength: 6 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (steps, mask, cuts) => {
          const stream = concat(...steps.flatMap((step) => framesOf(step, mask)));
          const { session, handler } = server();
          for (const chunk of splitAt(
            stream,
            cuts.map((c) => c % (stream.length + 1)),
          ))
            session.receive(chunk);
          expect(handler.events).toEqual(
            steps.map((step) =>
              step.kind === 'ping'
                ? { type: 'ping', payload: step.data }
                : { type: 'message', data: step.data, isText: step.text },
            ),
          );
          const pongs = handler.sentFrames().map((f) => toHex(f.payload));
          expect(pongs).toEqual(steps.flatMap((s) => (s.kind === 'ping' ? [toHex(s.data)] : [])));
        },
      ),
      propertyRuns(300),
    );
  });

  test('random bytes in random chunks never make a session throw, whatever its side and options', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.constantFrom('server' as const, 'client' as const),
        fc.boolean(),
        fc.constantFrom(undefined, 0, 16, 1024),
        (bytes, cuts, side, compressed, maxMessageBytes) => {
          const { session, handler } = createSession({
            side,
            maxMessageBytes,
            compression: compressed
              ? createSessionCompression(agreement, side, { thresholdBytes: 0 })
              : undefined,
          });
          for (const chunk of splitAt(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          ))
            session.receive(chunk);
          // Whatever happened, at most one close frame went out, and only failures we catalogue.
          expect(handler.sentFrames().filter((f) => f.opcode === CLOSE).length).toBeLessThanOrEqual(
            1,
          );
          for (const code of handler.failures()) expect(catalogue[code].kind).toBe('protocol');
        },
      ),
      propertyRuns(500),
    );
  });

  test('random frames with a valid header shape never make a session throw', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            opcode: fc.integer({ min: 0, max: 15 }),
            payload: fc.uint8Array({ maxLength: 140 }),
            fin: fc.boolean(),
            rsv1: fc.boolean(),
            mask: fc.constant(RFC_MASK),
          }),
          { maxLength: 8 },
        ),
        fc.boolean(),
        (frames, compressed) => {
          const { session, handler } = server({
            compression: compressed
              ? createSessionCompression(agreement, 'server', { thresholdBytes: 0 })
              : undefined,
          });
          session.receive(concat(...frames.map(encodeTestFrame)));
          expect(handler.failures().length).toBeLessThanOrEqual(1);
        },
      ),
      propertyRuns(500),
    );
  });
});
