/** A small seeded PRNG (mulberry32), so that a failing random test can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` bytes from a seeded PRNG. */
export function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/**
 * Compressible text of `length` bytes: words from a small vocabulary, so that messages share
 * phrases (what context takeover exploits) while not being trivially repetitive.
 */
export function wordyText(random: () => number, length: number): string {
  const words = [
    'socket',
    'frame',
    'deflate',
    'window',
    'context',
    'message',
    'handshake',
    'close',
    'ping',
    'pong',
    'ünïcode',
    '字',
    'mask',
    'payload',
  ];
  const parts: string[] = [];
  let bytesSoFar = 0;
  while (bytesSoFar < length) {
    const word = `${words[Math.floor(random() * words.length)]} `;
    parts.push(word);
    bytesSoFar += Buffer.byteLength(word);
  }
  // Cut on a character boundary, then pad with ASCII to the exact byte length.
  let bytes = Buffer.from(parts.join('')).subarray(0, length);
  while (bytes.length > 0 && !isUtf8Boundary(bytes)) bytes = bytes.subarray(0, bytes.length - 1);
  return bytes.toString('utf8') + 'x'.repeat(length - bytes.length);
}

function isUtf8Boundary(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8')).equals(bytes);
}
