import { decodeFrames } from '@wsgate/test-kit/wire';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type FrameHeader, FrameParser } from '../../src/protocol/frame-parser.js';
import {
  allocateZeroed,
  encodeFrame,
  MERGE_PAYLOAD_MAX_BYTES,
} from '../../src/protocol/frame-serializer.js';
import { Opcode } from '../../src/protocol/opcodes.js';
import { concat, patternBytes, toHex, utf8 } from '../helpers/bytes.js';
import { propertyRuns } from '../helpers/property.js';

/** An allocator that hands out dirty memory, as Buffer.allocUnsafe may. */
function dirtyAllocate(size: number): Uint8Array {
  return new Uint8Array(size).fill(0xa5);
}

function headerOf(parts: Uint8Array[], payloadLength: number): string {
  const whole = concat(...parts);
  return toHex(whole.subarray(0, whole.length - payloadLength));
}

/** Parses serialized frames with our own parser, collecting headers and whole payloads. */
function parseBack(bytes: Uint8Array): { header: FrameHeader; payload: Uint8Array }[] {
  const out: { header: FrameHeader; payload: Uint8Array }[] = [];
  let header: FrameHeader | undefined;
  let pieces: Uint8Array[] = [];
  const parser = new FrameParser({
    onFrameHeader(h) {
      header = { ...h };
      pieces = [];
      return true;
    },
    onFramePayload(piece, last) {
      pieces.push(piece.slice());
      if (last && header) out.push({ header, payload: concat(...pieces) });
      return true;
    },
    onFrameLengthInvalid() {
      throw new Error('length invalid');
    },
  });
  parser.push(bytes);
  return out;
}

describe('RFC 6455 §5.2 header forms (minimal length encoding)', () => {
  test('serializes the unmasked "Hello" text frame of §5.7', () => {
    expect(toHex(concat(...encodeFrame(Opcode.text, utf8('Hello'))))).toBe('810548656c6c6f');
  });

  test('serializes the unmasked ping "Hello" of §5.7', () => {
    expect(toHex(concat(...encodeFrame(Opcode.ping, utf8('Hello'))))).toBe('890548656c6c6f');
  });

  test.each([
    [0, '8200'],
    [125, '827d'],
    [126, '827e007e'],
    [65535, '827effff'],
    [65536, '827f0000000000010000'],
    [70_000, '827f0000000000011170'],
  ])('a %i-byte binary payload gets the header %s', (length, header) => {
    const payload = patternBytes(length);
    const parts = encodeFrame(Opcode.binary, payload, { allocate: dirtyAllocate });
    expect(headerOf(parts, length)).toBe(header);
    expect(toHex(concat(...parts).subarray(header.length / 2))).toBe(toHex(payload));
  });

  test('the 256-byte and 64 KiB binary frames of §5.7 get the headers 82 7E 0100 and 82 7F 0000000000010000', () => {
    expect(headerOf(encodeFrame(Opcode.binary, patternBytes(256)), 256)).toBe('827e0100');
    expect(headerOf(encodeFrame(Opcode.binary, patternBytes(65536)), 65536)).toBe(
      '827f0000000000010000',
    );
  });

  test('FIN clear and RSV1 set are written into the first byte', () => {
    expect(toHex(encodeFrame(Opcode.text, utf8('x'), { fin: false })[0].subarray(0, 1))).toBe('01');
    expect(toHex(encodeFrame(Opcode.text, utf8('x'), { rsv1: true })[0].subarray(0, 1))).toBe('c1');
    expect(
      toHex(encodeFrame(Opcode.binary, utf8('x'), { rsv1: true, fin: false })[0].subarray(0, 1)),
    ).toBe('42');
    expect(toHex(encodeFrame(Opcode.continuation, utf8('x'))[0].subarray(0, 1))).toBe('80');
  });

  test('RSV1 survives the split form used for large payloads', () => {
    const parts = encodeFrame(Opcode.binary, patternBytes(MERGE_PAYLOAD_MAX_BYTES + 1), {
      rsv1: true,
    });
    expect(parts).toHaveLength(2);
    expect(parts[0][0]).toBe(0xc2);
  });
});

describe('merge threshold: one buffer for small frames, header + untouched payload for large ones', () => {
  test(`an unmasked payload of ${MERGE_PAYLOAD_MAX_BYTES} bytes is copied behind its header`, () => {
    const payload = patternBytes(MERGE_PAYLOAD_MAX_BYTES);
    const parts = encodeFrame(Opcode.binary, payload);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toHaveLength(4 + MERGE_PAYLOAD_MAX_BYTES);
  });

  test(`an unmasked payload of ${MERGE_PAYLOAD_MAX_BYTES + 1} bytes is returned as the caller's own buffer`, () => {
    const payload = patternBytes(MERGE_PAYLOAD_MAX_BYTES + 1);
    const before = toHex(payload);
    const parts = encodeFrame(Opcode.binary, payload);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(payload);
    expect(toHex(parts[0])).toBe(
      `827e${(MERGE_PAYLOAD_MAX_BYTES + 1).toString(16).padStart(4, '0')}`,
    );
    expect(toHex(payload)).toBe(before);
  });

  test('a masked payload is always one buffer, even above the threshold', () => {
    const parts = encodeFrame(Opcode.binary, patternBytes(MERGE_PAYLOAD_MAX_BYTES * 2), {
      mask: true,
    });
    expect(parts).toHaveLength(1);
    expect(parts[0]).toHaveLength(4 + 4 + MERGE_PAYLOAD_MAX_BYTES * 2);
  });

  test('the allocator is asked for exactly the frame size', () => {
    const sizes: number[] = [];
    const allocate = (size: number) => {
      sizes.push(size);
      return allocateZeroed(size);
    };
    encodeFrame(Opcode.text, utf8('Hello'), { allocate });
    encodeFrame(Opcode.text, utf8('Hello'), { allocate, mask: true });
    encodeFrame(Opcode.binary, patternBytes(MERGE_PAYLOAD_MAX_BYTES + 1), { allocate });
    expect(sizes).toEqual([7, 11, 4]);
  });
});

describe('RFC 6455 §5.3 client masking', () => {
  test('a masked frame sets the mask bit, carries the key, and XORs the payload with it', () => {
    const payload = utf8('Hello');
    const [frame] = encodeFrame(Opcode.text, payload, { mask: true, allocate: dirtyAllocate });
    expect(frame[0]).toBe(0x81);
    expect(frame[1]).toBe(0x85);
    const key = frame.subarray(2, 6);
    const masked = frame.subarray(6);
    for (let i = 0; i < payload.length; i++) {
      expect(masked[i]).toBe((payload[i] as number) ^ (key[i & 3] as number));
    }
  });

  test("masking leaves the caller's payload untouched", () => {
    const payload = patternBytes(100);
    const before = toHex(payload);
    encodeFrame(Opcode.binary, payload, { mask: true });
    expect(toHex(payload)).toBe(before);
  });

  test('every masked frame gets a fresh key', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      keys.add(
        toHex(encodeFrame(Opcode.ping, new Uint8Array(0), { mask: true })[0].subarray(2, 6)),
      );
    }
    expect(keys.size).toBeGreaterThan(1);
  });

  test('masked frames of every length form round-trip through the frame parser', () => {
    for (const length of [0, 5, 125, 126, 65535, 65536, 100_000]) {
      const payload = patternBytes(length, length + 11);
      const [frame] = encodeFrame(Opcode.binary, payload, { mask: true, allocate: dirtyAllocate });
      const parsed = parseBack(frame);
      expect(parsed).toHaveLength(1);
      expect(parsed[0]?.header.masked).toBe(true);
      expect(parsed[0]?.header.payloadLength).toBe(length);
      expect(toHex(parsed[0]?.payload ?? new Uint8Array(0))).toBe(toHex(payload));
    }
  });

  test('any frame, masked or not, decodes to what was serialized', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2, 8, 9, 10),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 100, max: 70_000 }).map((n) => patternBytes(n, n)),
        ),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (opcode, payload, fin, rsv1, mask) => {
          const bytes = concat(
            ...encodeFrame(opcode, payload, { fin, rsv1, mask, allocate: dirtyAllocate }),
          );
          const [decoded, ...rest] = decodeFrames(bytes);
          expect(rest).toEqual([]);
          expect(decoded?.opcode).toBe(opcode);
          expect(decoded?.fin).toBe(fin);
          expect(decoded?.rsv1).toBe(rsv1);
          expect(decoded?.rsv2 || decoded?.rsv3).toBe(false);
          expect(decoded?.masked).toBe(mask);
          expect(toHex(decoded?.payload ?? new Uint8Array(1))).toBe(toHex(payload));
          const parsed = parseBack(bytes);
          expect(toHex(parsed[0]?.payload ?? new Uint8Array(1))).toBe(toHex(payload));
        },
      ),
      propertyRuns(200),
    );
  });
});
