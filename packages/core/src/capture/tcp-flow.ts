/**
 * A TCP connection rebuilt from the bytes each side sent, for a capture file: handshake, data
 * segments with consistent sequence numbers, and the close.
 */

import { type IpAddress, parseIpAddress } from './ip-address.js';
import { encodeTcpPacket, TcpFlag } from './tcp-packet.js';

export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

export type FlowSide = 'client' | 'server';

/** Largest payload per synthesized segment; well under the 65,495 bytes an IPv4 packet carries. */
export const MAX_SEGMENT_PAYLOAD_BYTES = 32 * 1024;

const CLIENT_MAC = Uint8Array.of(0x02, 0x77, 0x73, 0x00, 0x00, 0x01);
const SERVER_MAC = Uint8Array.of(0x02, 0x77, 0x73, 0x00, 0x00, 0x02);

/**
 * One TCP connection rebuilt from what each side sent: a SYN, SYN-ACK, ACK opening, data
 * segments whose sequence and acknowledgment numbers follow the bytes, and FIN (or RST) closing.
 * Each method returns the Ethernet frames to record, in order.
 */
export class TcpFlow {
  private readonly address: Record<FlowSide, IpAddress>;
  private readonly port: Record<FlowSide, number>;
  /** Next sequence number each side sends. */
  private readonly next: Record<FlowSide, number>;
  private readonly finished: Record<FlowSide, boolean> = { client: false, server: false };
  private ipId = 1;
  private openedValue = false;
  private resetValue = false;

  /** Undefined when an address cannot be parsed. */
  static create(
    client: TcpEndpoint,
    server: TcpEndpoint,
    initialSequence: Readonly<Record<FlowSide, number>> = {
      client: 0x10000000,
      server: 0x20000000,
    },
  ): TcpFlow | undefined {
    const clientAddress = parseIpAddress(client.address);
    const serverAddress = parseIpAddress(server.address);
    if (clientAddress === undefined || serverAddress === undefined) return undefined;
    return new TcpFlow(clientAddress, serverAddress, client.port, server.port, initialSequence);
  }

  private constructor(
    clientAddress: IpAddress,
    serverAddress: IpAddress,
    clientPort: number,
    serverPort: number,
    initialSequence: Readonly<Record<FlowSide, number>>,
  ) {
    this.address = { client: clientAddress, server: serverAddress };
    this.port = { client: clientPort, server: serverPort };
    this.next = { client: initialSequence.client >>> 0, server: initialSequence.server >>> 0 };
  }

  get opened(): boolean {
    return this.openedValue;
  }

  /** Whether the flow has ended (both FINs, or a reset). */
  get ended(): boolean {
    return this.resetValue || (this.finished.client && this.finished.server);
  }

  private segment(from: FlowSide, flags: number, payload?: Uint8Array): Uint8Array {
    const to: FlowSide = from === 'client' ? 'server' : 'client';
    return encodeTcpPacket({
      source: this.address[from],
      destination: this.address[to],
      sourcePort: this.port[from],
      destinationPort: this.port[to],
      sequence: this.next[from],
      acknowledgment: this.next[to],
      flags,
      ...(payload === undefined ? {} : { payload }),
      sourceMac: from === 'client' ? CLIENT_MAC : SERVER_MAC,
      destinationMac: from === 'client' ? SERVER_MAC : CLIENT_MAC,
      ipId: this.ipId++,
    });
  }

  /** The three-way handshake (RFC 9293 §3.5). */
  open(): Uint8Array[] {
    if (this.openedValue) return [];
    this.openedValue = true;
    const syn = this.segment('client', TcpFlag.syn);
    this.next.client = (this.next.client + 1) >>> 0;
    // The SYN-ACK acknowledges the client's SYN; the ACK acknowledges the server's.
    const synAck = this.segment('server', TcpFlag.syn | TcpFlag.ack);
    this.next.server = (this.next.server + 1) >>> 0;
    const ack = this.segment('client', TcpFlag.ack);
    return [syn, synAck, ack];
  }

  /** Data from one side, cut into segments of at most MAX_SEGMENT_PAYLOAD_BYTES. */
  send(from: FlowSide, data: Uint8Array): Uint8Array[] {
    if (this.resetValue || this.finished[from] || data.length === 0) return [];
    const frames = this.open();
    for (let offset = 0; offset < data.length; offset += MAX_SEGMENT_PAYLOAD_BYTES) {
      const piece = data.subarray(
        offset,
        Math.min(data.length, offset + MAX_SEGMENT_PAYLOAD_BYTES),
      );
      frames.push(this.segment(from, TcpFlag.psh | TcpFlag.ack, piece));
      this.next[from] = (this.next[from] + piece.length) >>> 0;
    }
    return frames;
  }

  /** One side closes its direction; once both have, the last FIN is acknowledged. */
  finish(from: FlowSide): Uint8Array[] {
    if (this.resetValue || this.finished[from]) return [];
    const frames = this.open();
    frames.push(this.segment(from, TcpFlag.fin | TcpFlag.ack));
    this.next[from] = (this.next[from] + 1) >>> 0;
    this.finished[from] = true;
    if (this.finished.client && this.finished.server) {
      frames.push(this.segment(from === 'client' ? 'server' : 'client', TcpFlag.ack));
    }
    return frames;
  }

  /** One side aborts the connection (RFC 9293 §3.10.7.3). */
  reset(from: FlowSide): Uint8Array[] {
    if (this.ended) return [];
    const frames = this.open();
    frames.push(this.segment(from, TcpFlag.rst | TcpFlag.ack));
    this.resetValue = true;
    return frames;
  }
}
