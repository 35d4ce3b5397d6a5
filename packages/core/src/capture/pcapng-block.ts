/**
 * The framing every pcapng block shares (draft-ietf-opsawg-pcapng §3.1, §3.5): type, total
 * length, a body padded to 32 bits, options ending in opt_endofopt, the total length again.
 * The block types themselves are in pcapng.ts.
 */

/** opt_endofopt (pcapng §3.5). */
const OPT_END = 0;

const encoder = new TextEncoder();

export function padded(length: number): number {
  return (length + 3) & ~3;
}

export interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array;
}

export function optionsLength(options: readonly PcapngOption[]): number {
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
export function block(
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

export function textOption(code: number, text: string | undefined): PcapngOption[] {
  return text === undefined || text === '' ? [] : [{ code, value: encoder.encode(text) }];
}
