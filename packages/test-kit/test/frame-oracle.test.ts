import { describe, expect, test } from 'vitest';
import {
  clientFrameHeader,
  closePayload,
  decodeFrames,
  encodeFrame,
  encodeFrameHeader,
  FrameDecoder,
  RFC_MASK,
} from '../src/wire/index.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

const hello = Buffer.from('Hello');

// RFC 6455 §5.7, byte for byte.
const rfcExamples = [
  {
    name: 'a single-frame unmasked text message',
    wire: '81 05 48656c6c6f',
    fields: { opcode: 1, payload: hello },
  },
  {
    name: 'a single-frame masked text message',
    wire: '81 85 37fa213d 7f9f4d5158',
    fields: { opcode: 1, payload: hello, mask: RFC_MASK },
  },
  {
    name: 'the first fragment of an unmasked text message',
    wire: '01 03 48656c',
    fields: { opcode: 1, payload: Buffer.from('Hel'), fin: false },
  },
  {
    name: 'the last fragment of an unmasked text message',
    wire: '80 02 6c6f',
    fields: { opcode: 0, payload: Buffer.from('lo') },
  },
  {
    name: 'an unmasked ping',
    wire: '89 05 48656c6c6f',
    fields: { opcode: 9, payload: hello },
  },
  {
    name: 'a masked pong',
    wire: '8a 85 37fa213d 7f9f4d5158',
    fields: { opcode: 10, payload: hello, mask: RFC_MASK },
  },
] as const;

describe('the frame oracle against the RFC 6455 §5.7 examples', () => {
  for (const example of rfcExamples) {
    test(`encodes ${example.name} as the RFC writes it`, () => {
      expect(encodeFrame(example.fields).toString('hex')).toBe(hex(example.wire).toString('hex'));
    });

    test(`decodes ${example.name} back to its fields`, () => {
      const [frame, ...rest] = decodeFrames(hex(example.wire));
      expect(rest).toEqual([]);
      expect(frame?.opcode).toBe(example.fields.opcode);
      expect(frame?.fin).toBe('fin' in example.fields ? example.fields.fin : true);
      expect(frame?.masked).toBe('mask' in example.fields);
      expect(frame?.payload.toString('hex')).toBe(example.fields.payload.toString('hex'));
      expect(frame?.minimalLength).toBe(true);
    });
  }

  test('a 256-byte unmasked binary message uses the 16-bit length: 82 7e 0100', () => {
    const payload = Buffer.alloc(256, 0xab);
    const wire = encodeFrame({ opcode: 2, payload });
    expect(wire.subarray(0, 4).toString('hex')).toBe('827e0100');
    expect(wire.length).toBe(4 + 256);
    expect(decodeFrames(wire)[0]?.payload.equals(payload)).toBe(true);
  });

  test('a 64 KiB unmasked binary message uses the 64-bit length: 82 7f 0000000000010000', () => {
    const payload = Buffer.alloc(65536, 0xcd);
    const wire = encodeFrame({ opcode: 2, payload });
    expect(wire.subarray(0, 10).toString('hex')).toBe('827f0000000000010000');
    expect(wire.length).toBe(10 + 65536);
    const [frame] = decodeFrames(wire);
    expect(frame?.lengthEncoding).toBe('64-bit');
    expect(frame?.payload.equals(payload)).toBe(true);
  });
});

describe('the frame oracle writes what a valid peer never would', () => {
  test('reserved bits and a reserved opcode are written as asked', () => {
    const wire = encodeFrame({ opcode: 0xb, rsv1: true, rsv2: true, rsv3: true, fin: false });
    expect(wire.toString('hex')).toBe('7b00');
  });

  test('a non-minimal length encoding is written as asked and read back as not minimal', () => {
    const wire = encodeFrame({ opcode: 1, payload: hello, lengthEncoding: '64-bit' });
    expect(wire.toString('hex')).toBe('817f0000000000000005' + '48656c6c6f');
    const [frame] = decodeFrames(wire);
    expect(frame?.minimalLength).toBe(false);
    expect(frame?.payload.toString()).toBe('Hello');
    const short = decodeFrames(
      encodeFrame({ opcode: 1, payload: hello, lengthEncoding: '16-bit' }),
    );
    expect(short[0]?.lengthEncoding).toBe('16-bit');
    expect(short[0]?.minimalLength).toBe(false);
  });

  test('a declared length may differ from the payload, up to a 64-bit length with its top bit set', () => {
    expect(encodeFrameHeader({ opcode: 2, declaredLength: 1n << 63n }, 0).toString('hex')).toBe(
      '827f8000000000000000',
    );
    expect(clientFrameHeader(2, 1_000_000).toString('hex')).toBe('82ff00000000000f424000000000');
  });

  test('a length that its encoding cannot hold and an opcode over 4 bits are refused', () => {
    expect(() =>
      encodeFrame({ opcode: 1, payload: Buffer.alloc(126), lengthEncoding: '7-bit' }),
    ).toThrow(/7-bit/);
    expect(() => encodeFrame({ opcode: 16 })).toThrow(/4 bits/);
    expect(() => encodeFrame({ opcode: 1, mask: Uint8Array.of(1, 2, 3) })).toThrow(/4 bytes/);
  });

  test('mask: true draws a key, and the payload still decodes', () => {
    const [frame] = decodeFrames(encodeFrame({ opcode: 2, payload: hello, mask: true }));
    expect(frame?.masked).toBe(true);
    expect(frame?.maskKey?.length).toBe(4);
    expect(frame?.payload.toString()).toBe('Hello');
  });

  test('a close payload carries the code in network byte order, then the reason', () => {
    expect(closePayload(1000, 'ok').toString('hex')).toBe('03e86f6b');
  });
});

describe('the frame decoder reads a stream in any chunks', () => {
  const stream = Buffer.concat([
    hex('01 03 48656c'),
    hex('89 05 48656c6c6f'),
    hex('80 02 6c6f'),
    encodeFrame({ opcode: 2, payload: Buffer.alloc(300, 7), mask: RFC_MASK }),
  ]);

  test('one byte at a time gives the same frames as one chunk', () => {
    const decoder = new FrameDecoder();
    const frames = [];
    for (const byte of stream) {
      decoder.push(Uint8Array.of(byte));
      for (let frame = decoder.next(); frame !== undefined; frame = decoder.next())
        frames.push(frame);
    }
    expect(decoder.bufferedBytes).toBe(0);
    expect(frames).toEqual(decodeFrames(stream));
    expect(frames.map((f) => f.opcode)).toEqual([1, 9, 0, 2]);
  });

  test('a frame is not returned before its last byte has arrived', () => {
    const decoder = new FrameDecoder();
    decoder.push(hex('81 85 37fa213d 7f9f4d51'));
    expect(decoder.next()).toBeUndefined();
    decoder.push(hex('58'));
    expect(decoder.next()?.payload.toString()).toBe('Hello');
  });

  test('a truncated frame at the end of a whole stream throws', () => {
    expect(() => decodeFrames(hex('81 05 4865'))).toThrow(/truncated/);
  });

  test('a 64-bit length with its most significant bit set throws, now and later', () => {
    const decoder = new FrameDecoder();
    decoder.push(hex('82 7f 8000000000000001'));
    expect(() => decoder.next()).toThrow(/most significant bit/);
    expect(() => decoder.next()).toThrow(/most significant bit/);
  });
});
