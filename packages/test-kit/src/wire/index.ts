export type { DecodedFrame, FrameFields, LengthEncoding } from './frame-oracle.js';
export {
  applyMask,
  decodeFrames,
  encodeFrame,
  encodeFrameHeader,
  encodeFrames,
  FrameDecoder,
  RFC_MASK,
} from './frame-oracle.js';
export type { FrameOptions } from './frames.js';
export { clientFrame, clientFrameHeader, closePayload, serverFrame } from './frames.js';
