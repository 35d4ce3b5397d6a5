/**
 * Plain running totals kept on the hot path (messages, bytes, slow-consumer actions, topic
 * deliveries): an addition to a number field per event, whether or not an OpenTelemetry SDK is
 * registered. Observable instruments (see metrics.ts) read them when a reader collects, so a
 * message never calls into the OpenTelemetry API.
 */
export class TrafficTotals {
  messagesReceived = 0;
  messagesSent = 0;
  /** Bytes read from sockets, frames and compression included. */
  bytesReceived = 0;
  /** Bytes handed to sockets, frames and compression included. */
  bytesSent = 0;
  /** Messages the slow-consumer policy `drop` did not send. */
  slowConsumerDrops = 0;
  /** Connections the slow-consumer policy `close` closed. */
  slowConsumerCloses = 0;

  chunkReceived(bytes: number): void {
    this.bytesReceived += bytes;
  }

  messageReceived(): void {
    this.messagesReceived++;
  }

  messageSent(): void {
    this.messagesSent++;
  }

  batchSent(bytes: number): void {
    this.bytesSent += bytes;
  }

  /** A send the slow-consumer policy refused: `dropped` true for `drop`, false for `close`. */
  slowConsumer(dropped: boolean): void {
    if (dropped) this.slowConsumerDrops++;
    else this.slowConsumerCloses++;
  }
}

/** The totals of every server connection of the process (client connections are not counted). */
export const serverTraffic = new TrafficTotals();

/** Topic totals of the process, on every server. */
export const topicTotals = {
  publishes: 0,
  /** Topic messages written to subscribers (one per subscriber). */
  deliveries: 0,
  /** Subscriptions of connections of this process, now. */
  subscriptions: 0,
};

/**
 * Compression work waiting to run, now: long messages are deflated and inflated on the
 * threadpool, a bounded number at a time (node/zlib-jobs.ts); the others wait in order, counted
 * here for `wsgate.server.compression.pending`.
 */
export const compressionJobs = { pending: 0 };
