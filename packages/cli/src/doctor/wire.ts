import type { Socket } from 'node:net';

export type ReadResult =
  | { readonly kind: 'data'; readonly bytes: Buffer }
  | { readonly kind: 'end'; readonly error: NodeJS.ErrnoException | undefined }
  | { readonly kind: 'timeout' };

/**
 * A socket read as a sequence of chunks with deadlines, so that each step of the doctor can
 * wait for exactly what it expects and report what came instead.
 */
export class Wire {
  private readonly queue: Buffer[] = [];
  private notify: (() => void) | undefined;
  private endedValue = false;
  private errorValue: NodeJS.ErrnoException | undefined;
  /** Every byte received, in order (for detecting what a port speaks). */
  receivedBytes = 0;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      this.queue.push(chunk);
      this.wake();
    });
    socket.on('end', () => {
      this.endedValue = true;
      this.wake();
    });
    socket.on('close', () => {
      this.endedValue = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.errorValue ??= error;
      this.endedValue = true;
      this.wake();
    });
  }

  get error(): NodeJS.ErrnoException | undefined {
    return this.errorValue;
  }

  get ended(): boolean {
    return this.endedValue && this.queue.length === 0;
  }

  /** The next chunk; 'end' once the peer closed (or the socket failed); 'timeout' at `deadline`. */
  async read(deadline: number): Promise<ReadResult> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) return { kind: 'data', bytes: chunk };
      if (this.endedValue) return { kind: 'end', error: this.errorValue };
      const wait = deadline - performance.now();
      if (wait <= 0) return { kind: 'timeout' };
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.notify = resolve;
        timer = setTimeout(resolve, wait);
      });
      clearTimeout(timer);
      this.notify = undefined;
    }
  }

  write(bytes: Uint8Array | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    this.notify?.();
  }
}

/** A deadline `ms` from now, on the performance.now() clock. */
export function deadlineIn(ms: number): number {
  return performance.now() + ms;
}
