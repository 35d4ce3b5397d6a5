import type {
  CaseContext,
  CaseScript,
  Category,
  Chop,
  ConformanceCase,
  Ending,
  Expected,
  FrameSpec,
  MessageSpec,
  MessageType,
  Step,
} from '../types.js';
import { bytes, encodeFrame, Opcode } from '../wire.js';

// Small builders so that each case reads like its description.

export { bytes, closePayload, hex, Opcode } from '../wire.js';

export function defineCase(
  category: Category,
  id: string,
  description: string,
  script: (context: CaseContext) => CaseScript,
  extra: {
    readonly offer?: string;
    readonly timeoutMs?: number | ((context: CaseContext) => number);
  } = {},
): ConformanceCase {
  return { id, category, description, script, ...extra };
}

export function frame(
  opcode: number,
  payload?: Uint8Array | string,
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
): FrameSpec {
  return { opcode, payload, ...options };
}

export const text = (
  payload: Uint8Array | string,
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.text, payload, options);
export const binary = (
  payload: Uint8Array | string,
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.binary, payload, options);
export const continuation = (
  payload: Uint8Array | string,
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.continuation, payload, options);
export const ping = (
  payload: Uint8Array | string = '',
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.ping, payload, options);
export const pongFrame = (
  payload: Uint8Array | string = '',
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.pong, payload, options);
export const close = (
  payload: Uint8Array | string = '',
  options: Omit<FrameSpec, 'opcode' | 'payload'> = {},
) => frame(Opcode.close, payload, options);

/** Frames in one write. */
export function send(...frames: FrameSpec[]): Step {
  return { kind: 'frames', frames };
}

/** Frames written in chops of `bytes` octets, `delayMs` apart. */
export function chopped(chop: Chop, ...frames: FrameSpec[]): Step {
  return { kind: 'frames', frames, chop };
}

/** Autobahn's "octet-wise chops": one write per byte. */
export function octetwise(...frames: FrameSpec[]): Step {
  return chopped({ bytes: 1, delayMs: 0 }, ...frames);
}

/** Autobahn's "frame-wise chops": one write per frame, with a pause between them. */
export function framewise(pauseMs: number, ...frames: FrameSpec[]): Step[] {
  const steps: Step[] = [];
  frames.forEach((f, i) => {
    if (i > 0) steps.push(wait(pauseMs));
    steps.push(send(f));
  });
  return steps;
}

export function wait(ms: number): Step {
  return { kind: 'wait', ms };
}

export const failFastMark: Step = { kind: 'fail-fast-mark' };

export function raw(data: Uint8Array, chop?: Chop): Step {
  return chop === undefined ? { kind: 'raw', bytes: data } : { kind: 'raw', bytes: data, chop };
}

/**
 * One frame cut at byte offsets of its payload, each piece its own write with a pause: for
 * checking that a server fails in the middle of a frame. The header goes with the first piece.
 */
export function frameInPieces(
  spec: FrameSpec,
  payloadCuts: readonly number[],
  pauseMs: number,
  markBefore: number,
): Step[] {
  const wire = encodeFrame(spec);
  const headerLength = wire.length - bytes(spec.payload).length;
  const cuts = [0, ...payloadCuts.map((cut) => headerLength + cut), wire.length];
  const steps: Step[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (i > 0) steps.push(wait(pauseMs));
    if (i === markBefore) steps.push(failFastMark);
    steps.push(raw(wire.subarray(cuts[i] as number, cuts[i + 1] as number)));
  }
  return steps;
}

export function echo(type: MessageType, payload: Uint8Array | string): Expected {
  return { kind: 'message', type, payload: bytes(payload) };
}
export const echoText = (payload: Uint8Array | string) => echo('text', payload);
export const echoBinary = (payload: Uint8Array | string) => echo('binary', payload);

export function pong(payload: Uint8Array | string = ''): Expected {
  return { kind: 'pong', payload: bytes(payload) };
}

/** The client closes with 1000 when done; the server answers 1000. */
export const CLEAN: Ending = { kind: 'clean-close', codes: [1000] };

export function answer(...codes: number[]): Ending {
  return { kind: 'answer-close', codes };
}

export function fail(
  codes: readonly number[] = [1002],
  options: { readonly fast?: boolean; readonly closeFrameOptional?: boolean } = {},
): Ending {
  return { kind: 'fail', codes, ...options };
}

export function script(
  steps: readonly (Step | readonly Step[])[],
  receive: readonly Expected[],
  ending: Ending,
  deflate?: 'accepted' | 'declined',
): CaseScript {
  const flat: Step[] = [];
  for (const step of steps) {
    if (Array.isArray(step)) flat.push(...(step as readonly Step[]));
    else flat.push(step as Step);
  }
  return deflate === undefined
    ? { steps: flat, expect: { receive, ending } }
    : { steps: flat, expect: { receive, ending, deflate } };
}

// --- payloads ---------------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so that every run sends the same bytes. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXT_UNIT = Buffer.from('Hello-µ@ßöäüàá-UTF-8!! κόσμε こんにちは 😀 ');

/** `size` bytes of valid UTF-8 mixing 1- to 4-byte characters (ASCII padding at the end). */
export function utf8Text(size: number): Buffer {
  const out = Buffer.alloc(size, 0x2a);
  const whole = Math.floor(size / TEXT_UNIT.length) * TEXT_UNIT.length;
  for (let at = 0; at < whole; at += TEXT_UNIT.length) TEXT_UNIT.copy(out, at);
  return out;
}

const noiseBlock = (() => {
  const random = prng(0x5eed);
  const block = Buffer.alloc(65_536);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(random() * 256);
  return block;
})();

/** `size` bytes of incompressible-looking binary data, the same on every run. */
export function binaryNoise(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let at = 0, round = 0; at < size; at += noiseBlock.length, round++) {
    const n = Math.min(noiseBlock.length, size - at);
    noiseBlock.copy(out, at, 0, n);
    // Vary each tile so that long messages do not repeat exactly.
    out[at] = round & 0xff;
  }
  return out;
}

/** Moves `index` back to the start of the UTF-8 character it falls in. */
function toBoundary(data: Uint8Array, index: number): number {
  let i = Math.min(index, data.length);
  while (i > 0 && i < data.length && ((data[i] as number) & 0xc0) === 0x80) i--;
  return i;
}

/** A slice of a UTF-8 corpus cut on character boundaries (at most 3 bytes shorter than asked). */
export function textSlice(corpus: Buffer, start: number, size: number): Buffer {
  const from = toBoundary(corpus, start % Math.max(1, corpus.length - size));
  const to = toBoundary(corpus, from + size);
  return corpus.subarray(from, to);
}

/** A whole message framed by the runner (compressed when `compress` is set and deflate was agreed). */
export function message(spec: MessageSpec): Step {
  return { kind: 'message', message: spec };
}
