/**
 * pcapng encoding (draft-ietf-opsawg-pcapng): the blocks a capture file is made of. The
 * Ethernet / IP / TCP frames they carry are synthesized in tcp-packet.ts and tcp-flow.ts, so
 * that WebSocket traffic seen above the socket API can be opened in Wireshark or tshark as if
 * it had been captured on the wire. Pure: every function returns bytes, nothing is written here.
 */

import { block, optionsLength, padded, textOption } from './pcapng-block.js';

// node/capture.ts takes the synthesized TCP connection from here, beside the blocks it records.
export { type FlowSide, TcpFlow } from './tcp-flow.js';

/** Block types (pcapng §4). */
const SECTION_HEADER_BLOCK = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION_BLOCK = 0x00000001;
const ENHANCED_PACKET_BLOCK = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes (pcapng §3.5, §4.1, §4.2). */
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

/** LINKTYPE_ETHERNET (tcpdump.org link-layer header types). */
export const LINKTYPE_ETHERNET = 1;

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
