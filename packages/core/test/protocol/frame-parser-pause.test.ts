import { describe, expect, test } from 'vitest';
import { type FrameHeader, FrameParser } from '../../src/protocol/frame-parser.js';
import { encodeFrame } from '../../src/protocol/frame-serializer.js';

function frames(...texts: string[]): Uint8Array {
  const parts = texts.flatMap((text) =>
    encodeFrame(1, new TextEncoder().encode(text), { mask: true }),
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function recorder(onMessage: (text: string, parser: FrameParser) => void) {
  const seen: string[] = [];
  let current: number[] = [];
  const parser: FrameParser = new FrameParser({
    onFrameHeader: (_header: FrameHeader) => {
      current = [];
      return true;
    },
    onFramePayload: (piece, last) => {
      current.push(...piece);
      if (last) {
        const text = new TextDecoder().decode(new Uint8Array(current));
        seen.push(text);
        onMessage(text, parser);
      }
      return true;
    },
    onFrameLengthInvalid: () => {},
  });
  return { parser, seen };
}

describe('pausing the frame parser (an application finishing a message first)', () => {
  test('holds the rest of a chunk and later chunks, then parses them in order on resume', () => {
    const { parser, seen } = recorder((text, p) => {
      if (text === 'a') p.pause();
    });
    parser.push(frames('a', 'b', 'c'));
    expect(seen).toEqual(['a']);
    parser.push(frames('d'));
    expect(seen).toEqual(['a']);
    expect(parser.paused).toBe(true);
    parser.resume();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  test('a resume from inside the callback that paused carries on with the same chunk', () => {
    const { parser, seen } = recorder((_text, p) => {
      p.pause();
      p.resume();
    });
    parser.push(frames('a', 'b', 'c'));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  test('pausing on every message and resuming one at a time keeps the order across chunk splits', () => {
    const texts = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    const bytes = frames(...texts);
    const { parser, seen } = recorder((_text, p) => p.pause());
    for (let i = 0; i < bytes.length; i += 7) parser.push(bytes.slice(i, i + 7));
    let rounds = 0;
    while (seen.length < texts.length && rounds++ < 100) parser.resume();
    expect(seen).toEqual(texts);
  });

  test('nothing held is parsed once the parser stopped', () => {
    const { parser, seen } = recorder((text, p) => {
      if (text === 'a') {
        p.pause();
        p.stop();
      }
    });
    parser.push(frames('a', 'b'));
    parser.resume();
    expect(seen).toEqual(['a']);
  });
});
