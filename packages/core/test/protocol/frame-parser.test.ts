import { encodeFrame as encodeTestFrame, type FrameFields, RFC_MASK } from '@wsgate/test-kit/wire';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type FrameHandler,
  type FrameHeader,
  FrameParser,
} from '../../src/protocol/frame-parser.js';
import { applyMaskKey, readMaskKey } from '../../src/protocol/mask.js';
import { concat, hex, oneByteChunks, patternBytes, splitAt, toHex } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

interface ParsedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payloadLength: number;
  /** Hex of the unmasked payload. */
  readonly payload: string;
}

/** Records headers and payload pieces; can refuse at a given header or piece to stop parsing. */
class FrameRecorder implements FrameHandler {
  readonly frames: ParsedFrame[] = [];
  readonly pieceSizes: number[][] = [];
  lengthInvalid = 0;
  private header: FrameHeader | undefined;
  private pieces: Uint8Array[] = [];

  constructor(
    private readonly refuseHeaderAt = Number.POSITIVE_INFINITY,
    private readonly refusePayloadAt = Number.POSITIVE_INFINITY,
  ) {}

  onFrameHeader(header: FrameHeader): boolean {
    if (this.header !== undefined)
      throw new Error('a header arrived before the previous frame ended');
    this.header = { ...header };
    this.pieces = [];
    return this.frames.length + 1 < this.refuseHeaderAt;
  }

  onFramePayload(piece: Uint8Array, last: boolean): boolean {
    const header = this.header;
    if (header === undefined) throw new Error('payload without a header');
    this.pieces.push(piece.slice());
    if (!last) return true;
    const payload = concat(...this.pieces);
    // Where the header lay depends on the chunking; its own tests are below.
    const { headerBytesBeforePayload: _where, ...fields } = header;
    this.frames.push({ ...fields, payload: toHex(payload) });
    this.pieceSizes.push(this.pieces.map((p) => p.length));
    this.header = undefined;
    return this.frames.length < this.refusePayloadAt;
  }

  onFrameLengthInvalid(): void {
    this.lengthInvalid++;
  }
}

function parse(chunks: readonly Uint8Array[]): FrameRecorder {
  const recorder = new FrameRecorder();
  const parser = new FrameParser(recorder);
  for (const chunk of chunks) parser.push(chunk);
  return recorder;
}

/** A frame for these tests: bytes as payload, a key or no mask. */
interface TestFrame extends FrameFields {
  readonly payload?: Uint8Array;
  readonly mask?: Uint8Array | undefined;
}

function expected(frame: TestFrame): ParsedFrame {
  const payload = frame.payload ?? new Uint8Array(0);
  return {
    fin: frame.fin ?? true,
    rsv1: frame.rsv1 ?? false,
    rsv2: frame.rsv2 ?? false,
    rsv3: frame.rsv3 ?? false,
    opcode: frame.opcode,
    masked: frame.mask !== undefined,
    payloadLength: payload.length,
    payload: toHex(payload),
  };
}

// RFC 6455 §5.7, byte for byte.
const examples = {
  unmaskedText: '81 05 48656c6c6f',
  maskedText: '81 85 37fa213d 7f9f4d5158',
  fragmentedFirst: '01 03 48656c',
  fragmentedLast: '80 02 6c6f',
  unmaskedPing: '89 05 48656c6c6f',
  maskedPong: '8a 85 37fa213d 7f9f4d5158',
};
const hello = '48656c6c6f';

describe('RFC 6455 §5.7 examples', () => {
  test('parses the single-frame unmasked text message "Hello"', () => {
    const { frames } = parse([hex(examples.unmaskedText)]);
    expect(frames).toEqual([
      {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: 1,
        masked: false,
        payloadLength: 5,
        payload: hello,
      },
    ]);
  });

  test('parses and unmasks the single-frame masked text message "Hello"', () => {
    const { frames } = parse([hex(examples.maskedText)]);
    expect(frames).toEqual([
      {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: 1,
        masked: true,
        payloadLength: 5,
        payload: hello,
      },
    ]);
  });

  test('parses the fragmented unmasked text message "Hel" + "lo"', () => {
    const { frames } = parse([hex(examples.fragmentedFirst + examples.fragmentedLast)]);
    expect(frames.map((f) => [f.fin, f.opcode, f.payload])).toEqual([
      [false, 1, '48656c'],
      [true, 0, '6c6f'],
    ]);
  });

  test('parses the unmasked ping and the masked pong carrying "Hello"', () => {
    const { frames } = parse([hex(examples.unmaskedPing + examples.maskedPong)]);
    expect(frames.map((f) => [f.opcode, f.masked, f.payload])).toEqual([
      [9, false, hello],
      [10, true, hello],
    ]);
  });

  test('parses the 256-byte binary message in a single unmasked frame (header 82 7E 0100)', () => {
    const payload = patternBytes(256);
    const { frames } = parse([concat(hex('82 7e 0100'), payload)]);
    expect(frames).toEqual([
      {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: 2,
        masked: false,
        payloadLength: 256,
        payload: toHex(payload),
      },
    ]);
  });

  test('parses the 64 KiB binary message in a single unmasked frame (header 82 7F 0000000000010000)', () => {
    const payload = patternBytes(65536);
    const { frames } = parse([concat(hex('82 7f 0000000000010000'), payload)]);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.payloadLength).toBe(65536);
    expect(frames[0]?.payload).toBe(toHex(payload));
  });

  test('all examples fed one byte at a time give exactly what one chunk gives', () => {
    const stream = hex(Object.values(examples).join(''));
    const whole = parse([stream.slice()]);
    const bytewise = parse(oneByteChunks(stream));
    expect(bytewise.frames).toEqual(whole.frames);
    expect(whole.frames).toHaveLength(6);
  });
});

describe('RFC 6455 §5.2 header fields', () => {
  test('reads FIN, RSV1, RSV2, RSV3 and the opcode from the first byte', () => {
    const { frames } = parse([hex('f3 00'), hex('4b 00'), hex('20 00'), hex('1f 00')]);
    expect(frames.map((f) => [f.fin, f.rsv1, f.rsv2, f.rsv3, f.opcode])).toEqual([
      [true, true, true, true, 3],
      [false, true, false, false, 11],
      [false, false, true, false, 0],
      [false, false, false, true, 15],
    ]);
  });

  test('an empty payload ends the frame with exactly one empty last piece', () => {
    const recorder = parse([hex('81 00 82 80 37fa213d')]);
    expect(recorder.frames.map((f) => [f.opcode, f.masked, f.payload])).toEqual([
      [1, false, ''],
      [2, true, ''],
    ]);
    expect(recorder.pieceSizes).toEqual([[0], [0]]);
  });

  test('pieces follow the chunks, and only the final piece is marked last', () => {
    const frame = encodeTestFrame({ opcode: 2, payload: patternBytes(10), mask: RFC_MASK });
    const recorder = parse(splitAt(frame, [6 + 3, 6 + 7]));
    expect(recorder.pieceSizes).toEqual([[3, 4, 3]]);
    expect(recorder.frames[0]?.payload).toBe(toHex(patternBytes(10)));
  });

  test('payload pieces are views into the pushed chunk, unmasked in place', () => {
    const chunk = hex(examples.maskedText);
    const pieces: Uint8Array[] = [];
    const parser = new FrameParser({
      onFrameHeader: () => true,
      onFramePayload: (piece) => {
        pieces.push(piece);
        return true;
      },
      onFrameLengthInvalid: () => {},
    });
    parser.push(chunk);
    expect(pieces[0]?.buffer).toBe(chunk.buffer);
    expect(toHex(chunk.subarray(6))).toBe(hello);
  });

  test('a handler that unmasks pieces itself gets them still masked, with the key and phase that unmask each', () => {
    const payload = patternBytes(10);
    const frame = encodeTestFrame({ opcode: 2, payload, mask: RFC_MASK });
    const masked = Uint8Array.from(frame.subarray(6));
    const seen: { piece: string; key: number; phase: number }[] = [];
    const parser = new FrameParser({
      unmasksPieces: true,
      onFrameHeader: () => true,
      onFramePayload: (piece, _last, key, phase) => {
        seen.push({ piece: toHex(piece), key, phase });
        applyMaskKey(piece, key, phase);
        return true;
      },
      onFrameLengthInvalid: () => {},
    });
    for (const chunk of splitAt(frame, [9, 13])) parser.push(chunk);
    const key = readMaskKey(RFC_MASK);
    expect(seen).toEqual([
      { piece: toHex(masked.subarray(0, 3)), key, phase: 0 },
      { piece: toHex(masked.subarray(3, 7)), key, phase: 3 },
      { piece: toHex(masked.subarray(7)), key, phase: 3 },
    ]);
  });

  test('an unmasked frame comes with the key 0 to a handler that unmasks pieces itself', () => {
    const keys: number[] = [];
    const parser = new FrameParser({
      unmasksPieces: true,
      onFrameHeader: () => true,
      onFramePayload: (_piece, _last, key) => {
        keys.push(key);
        return true;
      },
      onFrameLengthInvalid: () => {},
    });
    parser.push(encodeTestFrame({ opcode: 2, payload: patternBytes(10) }));
    expect(keys).toEqual([0]);
  });
});

describe('RFC 6455 §5.2 payload length: 7-bit, 16-bit and 64-bit forms', () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, '82 00'],
    [1, '82 01'],
    [125, '82 7d'],
    [126, '82 7e 007e'],
    [127, '82 7e 007f'],
    [65535, '82 7e ffff'],
    [65536, '82 7f 0000000000010000'],
    [65537, '82 7f 0000000000010001'],
  ];

  test.each(cases)(
    'a %i-byte payload announced as %s is read whole, in one chunk or byte by byte',
    (length, header) => {
      const payload = patternBytes(length, length + 1);
      const stream = concat(hex(header), payload);
      const whole = parse([stream.slice()]);
      expect(whole.frames).toEqual([expected({ opcode: 2, payload })]);
      if (length <= 300) expect(parse(oneByteChunks(stream)).frames).toEqual(whole.frames);
    },
  );

  test.each(cases)(
    'a masked %i-byte payload is unmasked (header %s with the mask bit)',
    (length, header) => {
      const payload = patternBytes(length, length + 3);
      const stream = encodeTestFrame({ opcode: 2, payload, mask: hex('01 02 03 04') });
      expect(toHex(stream.subarray(0, 2))).toBe(
        toHex(Uint8Array.of(0x82, 0x80 | (hex(header)[1] as number))),
      );
      expect(parse([stream]).frames).toEqual([expected({ opcode: 2, payload, mask: RFC_MASK })]);
    },
  );

  test('a 64-bit length above 2^32 is announced in full before any payload arrives', () => {
    const headers: FrameHeader[] = [];
    const parser = new FrameParser({
      onFrameHeader: (header) => {
        headers.push({ ...header });
        return true;
      },
      onFramePayload: () => true,
      onFrameLengthInvalid: () => {},
    });
    parser.push(hex('82 7f 0000000100000005'));
    expect(headers.map((h) => h.payloadLength)).toEqual([2 ** 32 + 5]);
  });

  test('the largest valid 64-bit length (2^63 - 1) is reported as a number above 2^53', () => {
    const headers: FrameHeader[] = [];
    const parser = new FrameParser({
      onFrameHeader: (header) => {
        headers.push({ ...header });
        return false;
      },
      onFramePayload: () => true,
      onFrameLengthInvalid: () => {},
    });
    parser.push(hex('82 7f 7fffffffffffffff'));
    expect(headers[0]?.payloadLength).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  test.each([
    ['in one chunk', (bytes: Uint8Array) => [bytes]],
    ['one byte at a time', oneByteChunks],
  ])(
    'a 64-bit length with its most significant bit set calls onFrameLengthInvalid, %s',
    (_name, chunking) => {
      const recorder = new FrameRecorder();
      const parser = new FrameParser(recorder);
      for (const chunk of chunking(hex('82 ff 8000000000000001 37fa213d 81 00')))
        parser.push(chunk);
      expect(recorder.lengthInvalid).toBe(1);
      expect(recorder.frames).toEqual([]);
      expect(parser.stopped).toBe(true);
      parser.push(hex(examples.unmaskedText));
      expect(recorder.frames).toEqual([]);
    },
  );

  test('the most significant bit alone (length 2^63) is invalid as well', () => {
    const recorder = parse([hex('82 7f 8000000000000000')]);
    expect(recorder.lengthInvalid).toBe(1);
  });
});

describe('stopping the parser', () => {
  test('a handler that refuses a header stops parsing, even within the same chunk', () => {
    const recorder = new FrameRecorder(2);
    const parser = new FrameParser(recorder);
    parser.push(hex(examples.unmaskedText + examples.unmaskedPing + examples.unmaskedText));
    expect(recorder.frames).toHaveLength(1);
    expect(parser.stopped).toBe(true);
  });

  test('a handler that refuses a header stops parsing when the header straddles chunks', () => {
    const recorder = new FrameRecorder(2);
    const parser = new FrameParser(recorder);
    for (const chunk of oneByteChunks(
      hex(examples.unmaskedText + examples.unmaskedPing + examples.unmaskedText),
    )) {
      parser.push(chunk);
    }
    expect(recorder.frames).toHaveLength(1);
    expect(parser.stopped).toBe(true);
  });

  test('a handler that refuses a payload piece stops parsing', () => {
    const recorder = new FrameRecorder(Number.POSITIVE_INFINITY, 1);
    const parser = new FrameParser(recorder);
    parser.push(hex(`81 00 ${examples.unmaskedPing}`));
    expect(recorder.frames.map((f) => f.opcode)).toEqual([1]);
    expect(parser.stopped).toBe(true);
  });

  test('after stop() later chunks are ignored', () => {
    const recorder = new FrameRecorder();
    const parser = new FrameParser(recorder);
    parser.push(hex(examples.unmaskedText));
    parser.stop();
    parser.push(hex(examples.unmaskedPing));
    expect(recorder.frames).toHaveLength(1);
  });
});

// --- properties ---------------------------------------------------------------------------

const payloadArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 140 }) },
  { weight: 2, arbitrary: fc.integer({ min: 120, max: 70_000 }).map((n) => patternBytes(n, n)) },
  { weight: 1, arbitrary: fc.constantFrom(125, 126, 65535, 65536).map((n) => patternBytes(n, n)) },
);

const frameArbitrary: fc.Arbitrary<TestFrame> = fc.record({
  opcode: fc.integer({ min: 0, max: 15 }),
  payload: payloadArbitrary,
  fin: fc.boolean(),
  rsv1: fc.boolean(),
  rsv2: fc.boolean(),
  rsv3: fc.boolean(),
  mask: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined }),
});

describe('chunking independence (property)', () => {
  test('any chunking of a stream of random frames parses identically', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const stream = concat(...frames.map(encodeTestFrame));
          const chunks = splitAt(
            stream,
            cuts.map((c) => c % (stream.length + 1)),
          );
          expect(parse(chunks).frames).toEqual(frames.map(expected));
        },
      ),
      propertyRuns(300),
    );
  });

  test('random bytes in random chunks never make the parser throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          const parser = new FrameParser(new FrameRecorder());
          for (const chunk of splitAt(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          ))
            parser.push(chunk);
        },
      ),
      propertyRuns(500),
    );
  });
});

describe('headerBytesBeforePayload: the bytes before a payload are its header, in the same chunk', () => {
  function headerBytes(chunks: readonly Uint8Array[]): number[] {
    const seen: number[] = [];
    const parser = new FrameParser({
      onFrameHeader: (header) => {
        seen.push(header.headerBytesBeforePayload);
        return true;
      },
      onFramePayload: () => true,
      onFrameLengthInvalid: () => {},
    });
    for (const chunk of chunks) parser.push(chunk);
    return seen;
  }

  test('a masked frame with its payload in one chunk: 6 (2 + the 4-byte key)', () => {
    expect(headerBytes([hex('81 85 37fa213d 7f9f4d5158')])).toEqual([6]);
  });

  test('a 126-byte unmasked payload behind an extended length: 4', () => {
    expect(headerBytes([concat(hex('82 7e 007e'), new Uint8Array(126))])).toEqual([4]);
  });

  test('two frames in one chunk: each header lies right before its payload', () => {
    expect(headerBytes([hex('82 01 aa 82 02 bbbb')])).toEqual([2, 2]);
  });

  test('0 when the payload starts in the next chunk or the header straddles chunks', () => {
    expect(headerBytes([hex('82 02'), hex('aaaa')])).toEqual([0]);
    expect(headerBytes([hex('82'), hex('02 aaaa')])).toEqual([0]);
  });

  test('0 for an empty payload: there is no payload byte to be before', () => {
    expect(headerBytes([hex('82 00')])).toEqual([0]);
  });
});
