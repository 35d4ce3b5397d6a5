/**
 * One synthetic Ethernet II frame carrying an IPv4 or IPv6 packet carrying one TCP segment, with
 * real checksums, so that a capture opens cleanly in Wireshark. Pure: returns bytes.
 */

import { asIpv6, type IpAddress } from './ip-address.js';

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
