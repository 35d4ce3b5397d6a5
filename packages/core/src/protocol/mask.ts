/** Below this many bytes a byte loop costs less than setting up the word loop. */
const WORD_LOOP_MIN_BYTES = 32;
/** Below this many bytes, copying then unmasking costs less than two new 64-bit views. */
const FUSED_COPY_MIN_BYTES = 1024;

// The key repeated over 8 bytes, read back as one 64-bit word in the platform's byte order, so
// that XOR with the data's 64-bit words applies each key byte to the right data byte.
const keyWord = new BigUint64Array(1);
const keyWordBytes = new Uint8Array(keyWord.buffer);

/**
 * One 64-bit view over a whole ArrayBuffer, kept for the next call: a read from the socket is
 * one ArrayBuffer holding many frames, and a view costs about as much to create as masking 100
 * bytes. Only buffers up to this size are kept, so that the cache never holds much memory.
 */
const CACHED_VIEW_MAX_BYTES = 256 * 1024;
let cachedBuffer: ArrayBufferLike | undefined;
let cachedWords: BigUint64Array<ArrayBufferLike> = new BigUint64Array(0);

/** The 4-byte masking key at `offset` as one 32-bit number, first byte in the high bits. */
export function readMaskKey(bytes: Uint8Array, offset = 0): number {
  return (
    ((bytes[offset] as number) << 24) |
    ((bytes[offset + 1] as number) << 16) |
    ((bytes[offset + 2] as number) << 8) |
    (bytes[offset + 3] as number)
  );
}

/**
 * XORs `data[start..end)` in place with the 4-byte masking key (RFC 6455 §5.3), starting at
 * byte `phase` of the key.
 */
export function applyMask(
  data: Uint8Array,
  key: Uint8Array,
  phase = 0,
  start = 0,
  end = data.length,
): void {
  applyMaskKey(data, readMaskKey(key), phase, start, end);
}

/**
 * `applyMask` with the key as a number (see `readMaskKey`): a parser keeps it in a field rather
 * than a 4-byte array per connection. Eight bytes at a time over 8-byte-aligned memory.
 */
export function applyMaskKey(
  data: Uint8Array,
  key: number,
  phase = 0,
  start = 0,
  end = data.length,
): void {
  let i = start;
  let p = phase & 3;
  if (end - i >= WORD_LOOP_MIN_BYTES) {
    const base = data.byteOffset;
    while (((base + i) & 7) !== 0) {
      data[i] = (data[i] as number) ^ ((key >>> ((3 - p) << 3)) & 0xff);
      p = (p + 1) & 3;
      i++;
    }
    const mask = maskWord(key, p);
    const buffer = data.buffer;
    const words = (end - i) >>> 3;
    let view: BigUint64Array<ArrayBufferLike>;
    let w: number;
    // The range check keeps a buffer resized since it was cached on the safe path.
    if (buffer === cachedBuffer && base + i + (words << 3) <= cachedWords.byteLength) {
      view = cachedWords;
      w = (base + i) >>> 3;
    } else if (buffer.byteLength <= CACHED_VIEW_MAX_BYTES) {
      view = new BigUint64Array(buffer, 0, buffer.byteLength >>> 3);
      cachedBuffer = buffer;
      cachedWords = view;
      w = (base + i) >>> 3;
    } else {
      view = new BigUint64Array(buffer, base + i, words);
      w = 0;
    }
    const last = w + words;
    // Four words per iteration: the loop's own cost is then a quarter of the work.
    const unrolled = last - (words & 3);
    for (; w < unrolled; w += 4) {
      view[w] = (view[w] as bigint) ^ mask;
      view[w + 1] = (view[w + 1] as bigint) ^ mask;
      view[w + 2] = (view[w + 2] as bigint) ^ mask;
      view[w + 3] = (view[w + 3] as bigint) ^ mask;
    }
    for (; w < last; w++) view[w] = (view[w] as bigint) ^ mask;
    // Whole words leave the phase where it was (8 is a multiple of 4).
    i += words << 3;
  }
  for (; i < end; i++) {
    data[i] = (data[i] as number) ^ ((key >>> ((3 - p) << 3)) & 0xff);
    p = (p + 1) & 3;
  }
}

/** The key from byte `phase` on, repeated over 8 bytes, as one word in the platform's byte order. */
function maskWord(key: number, phase: number): bigint {
  for (let k = 0; k < 4; k++) {
    const byte = (key >>> ((3 - ((phase + k) & 3)) << 3)) & 0xff;
    keyWordBytes[k] = byte;
    keyWordBytes[k + 4] = byte;
  }
  return keyWord[0] as bigint;
}

/**
 * Writes `source` unmasked (RFC 6455 §5.3, from key byte `phase` on) into `target` at `offset`,
 * leaving `source` as it was: the copy and the unmasking in one pass over the bytes, where
 * unmasking in place then copying takes two (the pieces of a long message, joined). Eight
 * bytes at a time when source and target are equally aligned; else a copy unmasked in place.
 */
export function copyUnmasked(
  source: Uint8Array,
  key: number,
  phase: number,
  target: Uint8Array,
  offset: number,
): void {
  const length = source.length;
  const sourceBase = source.byteOffset;
  const targetBase = target.byteOffset + offset;
  if (length < FUSED_COPY_MIN_BYTES || ((sourceBase ^ targetBase) & 7) !== 0) {
    target.set(source, offset);
    applyMaskKey(target, key, phase, offset, offset + length);
    return;
  }
  let i = 0;
  let p = phase & 3;
  while (((sourceBase + i) & 7) !== 0) {
    target[offset + i] = (source[i] as number) ^ ((key >>> ((3 - p) << 3)) & 0xff);
    p = (p + 1) & 3;
    i++;
  }
  const mask = maskWord(key, p);
  const words = (length - i) >>> 3;
  const from = new BigUint64Array(source.buffer, sourceBase + i, words);
  const to = new BigUint64Array(target.buffer, targetBase + i, words);
  let w = 0;
  const unrolled = words - (words & 3);
  for (; w < unrolled; w += 4) {
    to[w] = (from[w] as bigint) ^ mask;
    to[w + 1] = (from[w + 1] as bigint) ^ mask;
    to[w + 2] = (from[w + 2] as bigint) ^ mask;
    to[w + 3] = (from[w + 3] as bigint) ^ mask;
  }
  for (; w < words; w++) to[w] = (from[w] as bigint) ^ mask;
  // Whole words leave the phase where it was.
  for (i += words << 3; i < length; i++) {
    target[offset + i] = (source[i] as number) ^ ((key >>> ((3 - p) << 3)) & 0xff);
    p = (p + 1) & 3;
  }
}

const POOL_BYTES = 8192;
let pool = new Uint8Array(0);
let poolOffset = 0;

/**
 * Writes a fresh masking key into `target` at `offset`. RFC 6455 §5.3 asks for keys an
 * intermediary cannot predict: they come from the platform's CSPRNG, drawn in pooled batches.
 */
export function writeMaskKey(target: Uint8Array, offset: number): void {
  if (poolOffset + 4 > pool.length) {
    pool = new Uint8Array(POOL_BYTES);
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  target[offset] = pool[poolOffset] as number;
  target[offset + 1] = pool[poolOffset + 1] as number;
  target[offset + 2] = pool[poolOffset + 2] as number;
  target[offset + 3] = pool[poolOffset + 3] as number;
  poolOffset += 4;
}
