/**
 * pcapng encoding (draft-ietf-opsawg-pcapng) and synthetic Ethernet / IPv4 / IPv6 / TCP framing,
 * so that WebSocket traffic seen above the socket API can be opened in Wireshark or tshark as if
 * it had been captured on the wire. Pure: every function returns bytes, nothing is written here.
 */

// --- pcapng blocks --------------------------------------------------------------------

/** Block types (pcapng §4). */
const SECTION_HEADER_BLOCK = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION_BLOCK = 0x00000001;
const ENHANCED_PACKET_BLOCK = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes (pcapng §3.5, §4.1, §4.2). */
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

/** LINKTYPE_ETHERNET (tcpdump.org link-layer header types). */
export const LINKTYPE_ETHERNET = 1;

const encoder = new TextEncoder();

function padded(length: number): number {
  return (length + 3) & ~3;
}

interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array;
}

function optionsLength(options: readonly PcapngOption[]): number {
  if (options.length === 0) return 0;
  let length = 4; // opt_endofopt
  for (const option of options) length += 4 + padded(option.value.length);
  return length;
}

function writeOptions(
  view: DataView,
  bytes: Uint8Array,
  offset: number,
  options: readonly PcapngOption[],
): number {
  if (options.length === 0) return offset;
  let at = offset;
  for (const option of options) {
    view.setUint16(at, option.code, true);
    view.setUint16(at + 2, option.value.length, true);
    bytes.set(option.value, at + 4);
    at += 4 + padded(option.value.length);
  }
  view.setUint16(at, OPT_END, true);
  view.setUint16(at + 2, 0, true);
  return at + 4;
}

/** A block: type, total length, body, options, total length again (pcapng §3.1). */
function block(
  type: number,
  bodyLength: number,
  options: readonly PcapngOption[],
  fill: (view: DataView, bytes: Uint8Array) => void,
): Uint8Array {
  const total = 12 + padded(bodyLength) + optionsLength(options);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  fill(view, bytes);
  writeOptions(view, bytes, 8 + padded(bodyLength), options);
  view.setUint32(total - 4, total, true);
  return bytes;
}

function textOption(code: number, text: string | undefined): PcapngOption[] {
  return text === undefined || text === '' ? [] : [{ code, value: encoder.encode(text) }];
}

/** Section Header Block: starts a file. Little-endian, version 1.0, section length unknown. */
export function encodeSectionHeaderBlock(
  options: { readonly application?: string } = {},
): Uint8Array {
  return block(SECTION_HEADER_BLOCK, 16, textOption(SHB_USERAPPL, options.application), (view) => {
    view.setUint32(8, BYTE_ORDER_MAGIC, true);
    view.setUint16(12, 1, true);
    view.setUint16(14, 0, true);
    // Section length -1: not known in advance (pcapng §4.1).
    view.setUint32(16, 0xffffffff, true);
    view.setUint32(20, 0xffffffff, true);
  });
}

/** Interface Description Block with microsecond timestamps (if_tsresol 6). */
export function encodeInterfaceDescriptionBlock(
  options: {
    readonly linkType?: number;
    readonly snapLength?: number;
    readonly name?: string;
  } = {},
): Uint8Array {
  const blockOptions = [
    ...textOption(IF_NAME, options.name),
    { code: IF_TSRESOL, value: Uint8Array.of(6) },
  ];
  return block(INTERFACE_DESCRIPTION_BLOCK, 8, blockOptions, (view) => {
    view.setUint16(8, options.linkType ?? LINKTYPE_ETHERNET, true);
    view.setUint16(10, 0, true);
    view.setUint32(12, options.snapLength ?? 0, true);
  });
}

export interface PacketBlockOptions {
  readonly interfaceId?: number;
  /** Length of the packet on the wire when fewer bytes are recorded (a truncated capture). */
  readonly originalLength?: number;
  readonly comment?: string;
}

/** Bytes an Enhanced Packet Block adds around a packet of `capturedLength` bytes. */
export function enhancedPacketBlockLength(capturedLength: number, comment?: string): number {
  return 32 + padded(capturedLength) + optionsLength(textOption(OPT_COMMENT, comment));
}

/** Enhanced Packet Block: one packet with a timestamp in microseconds since the Unix epoch. */
export function encodeEnhancedPacketBlock(
  timestampMicros: number,
  packet: Uint8Array,
  options: PacketBlockOptions = {},
): Uint8Array {
  const captured = packet.length;
  return block(
    ENHANCED_PACKET_BLOCK,
    20 + captured,
    textOption(OPT_COMMENT, options.comment),
    (view, bytes) => {
      const micros = Math.max(0, Math.floor(timestampMicros));
      view.setUint32(8, options.interfaceId ?? 0, true);
      view.setUint32(12, Math.floor(micros / 0x100000000), true);
      view.setUint32(16, micros >>> 0, true);
      view.setUint32(20, captured, true);
      view.setUint32(24, Math.max(captured, options.originalLength ?? captured), true);
      bytes.set(packet, 28);
    },
  );
}

// --- addresses ------------------------------------------------------------------------

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes in network order. */
  readonly bytes: Uint8Array;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(input: string): Uint8Array | undefined {
  // A zone index ("fe80::1%eth0") names a local interface, not part of the address.
  const text = input.replace(/%.*$/, '');
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      out.push(Number.parseInt(piece, 16));
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >>> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * Parses an IPv4 or IPv6 address as Node reports it. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, a dual-stack socket's view of IPv4) is returned as IPv4.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  const mapped =
    v6.subarray(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
}

/** IPv4 as IPv4-mapped IPv6 (RFC 4291 §2.5.5.2), for a flow whose ends differ in family. */
function asIpv6(address: IpAddress): IpAddress {
  if (address.family === 6) return address;
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(address.bytes, 12);
  return { family: 6, bytes };
}

// --- Ethernet, IP and TCP ---------------------------------------------------------------

/** TCP flags (RFC 9293 §3.1). */
export const TcpFlag = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

const ETHERNET_HEADER_BYTES = 14;
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const TCP_HEADER_BYTES = 20;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTOCOL_TCP = 6;

/** One's complement sum of 16-bit words (RFC 1071), continued from `sum`. */
function onesComplementSum(bytes: Uint8Array, start: number, end: number, sum = 0): number {
  let total = sum;
  let i = start;
  for (; i + 1 < end; i += 2) total += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) total += (bytes[i] as number) << 8;
  while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
  return total;
}

function checksum(bytes: Uint8Array, start: number, end: number, sum = 0): number {
  return ~onesComplementSum(bytes, start, end, sum) & 0xffff;
}

export interface TcpSegment {
  readonly source: IpAddress;
  readonly destination: IpAddress;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequence: number;
  readonly acknowledgment: number;
  readonly flags: number;
  readonly payload?: Uint8Array;
  /** Locally administered MAC addresses stand in for the real ones, which sockets do not expose. */
  readonly sourceMac?: Uint8Array;
  readonly destinationMac?: Uint8Array;
  /** IPv4 identification field. */
  readonly ipId?: number;
  readonly window?: number;
}

const DEFAULT_SOURCE_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const DEFAULT_DESTINATION_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

/** An Ethernet II frame holding an IPv4 or IPv6 packet holding one TCP segment, checksums filled in. */
export function encodeTcpPacket(segment: TcpSegment): Uint8Array {
  let source = segment.source;
  let destination = segment.destination;
  if (source.family !== destination.family) {
    source = asIpv6(source);
    destination = asIpv6(destination);
  }
  const payload = segment.payload ?? new Uint8Array(0);
  const v6 = source.family === 6;
  const ipBytes = v6 ? IPV6_HEADER_BYTES : IPV4_HEADER_BYTES;
  const tcpLength = TCP_HEADER_BYTES + payload.length;
  const frame = new Uint8Array(ETHERNET_HEADER_BYTES + ipBytes + tcpLength);
  const view = new DataView(frame.buffer);
  frame.set(segment.destinationMac ?? DEFAULT_DESTINATION_MAC, 0);
  frame.set(segment.sourceMac ?? DEFAULT_SOURCE_MAC, 6);
  view.setUint16(12, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
  const ip = ETHERNET_HEADER_BYTES;
  if (v6) {
    // RFC 8200 §3: version 6, no traffic class or flow label.
    view.setUint32(ip, 0x60000000);
    view.setUint16(ip + 4, tcpLength);
    frame[ip + 6] = PROTOCOL_TCP;
    frame[ip + 7] = 64;
    frame.set(source.bytes, ip + 8);
    frame.set(destination.bytes, ip + 24);
  } else {
    // RFC 791 §3.1: version 4, 5 words of header, Don't Fragment, TTL 64.
    frame[ip] = 0x45;
    view.setUint16(ip + 2, IPV4_HEADER_BYTES + tcpLength);
    view.setUint16(ip + 4, (segment.ipId ?? 0) & 0xffff);
    view.setUint16(ip + 6, 0x4000);
    frame[ip + 8] = 64;
    frame[ip + 9] = PROTOCOL_TCP;
    frame.set(source.bytes, ip + 12);
    frame.set(destination.bytes, ip + 16);
    view.setUint16(ip + 10, checksum(frame, ip, ip + IPV4_HEADER_BYTES));
  }
  const tcp = ip + ipBytes;
  view.setUint16(tcp, segment.sourcePort);
  view.setUint16(tcp + 2, segment.destinationPort);
  view.setUint32(tcp + 4, segment.sequence >>> 0);
  view.setUint32(tcp + 8, segment.flags & TcpFlag.ack ? segment.acknowledgment >>> 0 : 0);
  frame[tcp + 12] = (TCP_HEADER_BYTES / 4) << 4;
  frame[tcp + 13] = segment.flags;
  view.setUint16(tcp + 14, segment.window ?? 0xffff);
  frame.set(payload, tcp + TCP_HEADER_BYTES);
  // RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6): the checksum covers a pseudo-header.
  const pseudo = new Uint8Array(v6 ? 40 : 12);
  const pseudoView = new DataView(pseudo.buffer);
  pseudo.set(source.bytes, 0);
  pseudo.set(destination.bytes, source.bytes.length);
  if (v6) {
    pseudoView.setUint32(32, tcpLength);
    pseudo[39] = PROTOCOL_TCP;
  } else {
    pseudo[9] = PROTOCOL_TCP;
    pseudoView.setUint16(10, tcpLength);
  }
  const pseudoSum = onesComplementSum(pseudo, 0, pseudo.length);
  view.setUint16(tcp + 16, checksum(frame, tcp, frame.length, pseudoSum));
  return frame;
}

// --- a TCP connection, synthesized ----------------------------------------------------

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
