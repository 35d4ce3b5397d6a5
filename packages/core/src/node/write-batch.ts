import type { Duplex } from 'node:stream';

/**
 * Frames of one tick leave together at its end: runs of pieces up to this size are copied into
 * one buffer, larger pieces go as they are, all in one vectored write.
 */
const COALESCE_MAX_BYTES = 4096;

/** `pieces[start..end)` as one buffer: the piece itself when there is one, else a copy. */
function joinPieces(pieces: Uint8Array[], start: number, end: number, bytes: number): Uint8Array {
  if (end - start === 1) return pieces[start] as Uint8Array;
  const joined = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = start; i < end; i++) {
    const piece = pieces[i] as Uint8Array;
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}

/**
 * Writes the frames a connection batched (`total` bytes in all) in as few system calls as
 * possible: one write when small, else one corked writev that copies only the small pieces.
 */
export function writeBatch(socket: Duplex, pending: Uint8Array[], total: number): void {
  const count = pending.length;
  if (count === 1 || total <= COALESCE_MAX_BYTES) {
    socket.write(count === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, total));
    return;
  }
  // Runs of small pieces (frame headers, short messages) are copied together; larger payloads
  // are not copied. Corked, the writes become one writev.
  socket.cork();
  let runStart = 0;
  let runBytes = 0;
  for (let i = 0; i <= count; i++) {
    const piece = i < count ? (pending[i] as Uint8Array) : undefined;
    if (piece !== undefined && piece.length <= COALESCE_MAX_BYTES) {
      runBytes += piece.length;
      continue;
    }
    if (i > runStart) socket.write(joinPieces(pending, runStart, i, runBytes));
    if (piece !== undefined) socket.write(piece);
    runStart = i + 1;
    runBytes = 0;
  }
  socket.uncork();
}
