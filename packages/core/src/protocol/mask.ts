const wordBytes = new Uint8Array(4);
const wordView = new Int32Array(wordBytes.buffer);

/** Below this many bytes a typed-array view costs more than it saves. */
const WORD_LOOP_MIN_BYTES = 32;

/**
 * XORs `data[start..end)` in place with the 4-byte masking key (RFC 6455 §5.3), starting at
 * byte `phase` of the key. Works four bytes at a time on aligned memory.
 */
export function applyMask(
  data: Uint8Array,
  key: Uint8Array,
  phase = 0,
  start = 0,
  end = data.length,
): void {
  let i = start;
  let p = phase & 3;
  if (end - i >= WORD_LOOP_MIN_BYTES) {
    while (((data.byteOffset + i) & 3) !== 0) {
      data[i] = (data[i] as number) ^ (key[p] as number);
      p = (p + 1) & 3;
      i++;
    }
    const words = (end - i) >>> 2;
    wordBytes[0] = key[p] as number;
    wordBytes[1] = key[(p + 1) & 3] as number;
    wordBytes[2] = key[(p + 2) & 3] as number;
    wordBytes[3] = key[(p + 3) & 3] as number;
    const mask = wordView[0] as number;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] = (view[w] as number) ^ mask;
    i += words << 2;
  }
  for (; i < end; i++) {
    data[i] = (data[i] as number) ^ (key[p] as number);
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
