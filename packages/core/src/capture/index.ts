export type {
  FlowSide,
  IpAddress,
  PacketBlockOptions,
  TcpEndpoint,
  TcpSegment,
} from './pcapng.js';
export {
  encodeEnhancedPacketBlock,
  encodeInterfaceDescriptionBlock,
  encodeSectionHeaderBlock,
  encodeTcpPacket,
  enhancedPacketBlockLength,
  LINKTYPE_ETHERNET,
  MAX_SEGMENT_PAYLOAD_BYTES,
  parseIpAddress,
  TcpFlag,
  TcpFlow,
} from './pcapng.js';
