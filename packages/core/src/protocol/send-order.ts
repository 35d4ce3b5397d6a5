import type { FrameSink } from './frame-serializer.js';

/** A place in the send order: a frame whose bytes come later (compressed off the event loop). */
export interface SendSlot {
  parts: readonly Uint8Array[] | undefined;
  /** What the slot counts in `SendOrder.bytes` (an estimate until its bytes come). */
  bytes: number;
}

/**
 * The frames of one session in the order they were sent, while the earliest of them waits for
 * its bytes (a compressed message deflated off the event loop): what is sent after it waits
 * behind it, closing frames included. Frames go straight to the sink whenever nothing waits.
 */
export class SendOrder implements FrameSink {
  /** The slots from the first one waiting for its bytes; undefined when none waits. */
  private queue: SendSlot[] | undefined;
  /** Bytes held here (estimated for the slots still waiting). */
  bytes = 0;
  /** The estimated bytes of the slots still waiting for theirs (work not done yet). */
  unfilledBytes = 0;

  constructor(private readonly sink: FrameSink) {}

  get waiting(): boolean {
    return this.queue !== undefined;
  }

  /** Takes a serialized frame's bytes: to the sink now, or behind what waits. */
  onTransmit(bytes: Uint8Array): void {
    const queue = this.queue;
    if (queue === undefined) {
      this.sink.onTransmit(bytes);
      return;
    }
    queue.push({ parts: [bytes], bytes: bytes.length });
    this.bytes += bytes.length;
  }

  /** Reserves the next place in the order for a frame of about `bytes` bytes. */
  reserve(bytes: number): SendSlot {
    const slot: SendSlot = { parts: undefined, bytes };
    if (this.queue === undefined) this.queue = [slot];
    else this.queue.push(slot);
    this.bytes += bytes;
    this.unfilledBytes += bytes;
    return slot;
  }

  /**
   * The slot's frame is ready (`parts`, nothing for a frame that will not go): what is ready
   * from the head of the order goes to the sink. True when nothing waits any more.
   */
  fill(slot: SendSlot, parts: readonly Uint8Array[]): boolean {
    slot.parts = parts;
    this.unfilledBytes -= slot.bytes;
    const queue = this.queue;
    if (queue === undefined) return true;
    let ready = 0;
    while (ready < queue.length) {
      const head = queue[ready] as SendSlot;
      if (head.parts === undefined) break;
      this.bytes -= head.bytes;
      for (const part of head.parts) this.sink.onTransmit(part);
      ready++;
    }
    if (ready === queue.length) {
      this.queue = undefined;
      this.bytes = 0;
      this.unfilledBytes = 0;
      return true;
    }
    queue.splice(0, ready);
    return false;
  }
}
