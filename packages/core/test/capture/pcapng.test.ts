import { describe, expect, it } from 'vitest';
import { parseIpAddress } from '../../src/capture/ip-address.js';
import {
  encodeEnhancedPacketBlock,
  encodeInterfaceDescriptionBlock,
  encodeSectionHeaderBlock,
  enhancedPacketBlockLength,
} from '../../src/capture/pcapng.js';
import { MAX_SEGMENT_PAYLOAD_BYTES, TcpFlow } from '../../src/capture/tcp-flow.js';
import { encodeTcpPacket, TcpFlag } from '../../src/capture/tcp-packet.js';
import { hex, toHex } from '../helpers/bytes.js';

/** One's complement sum of 16-bit words; a region with a correct checksum sums to 0xffff. */
function sum16(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let total = initial;
  for (let i = start; i < end; i += 2)
    total += ((bytes[i] as number) << 8) | (i + 1 < end ? (bytes[i + 1] as number) : 0);
  while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
  return total;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const v4 = (text: string) => parseIpAddress(text) as NonNullable<ReturnType<typeof parseIpAddress>>;

describe('pcapng blocks', () => {
  it('writes a little-endian Section Header Block, version 1.0, section length -1', () => {
    expect(toHex(encodeSectionHeaderBlock())).toBe(
      toHex(hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffff ffffffff 1c000000')),
    );
  });

  it('adds the application as shb_userappl, padded to 4 bytes, then opt_endofopt', () => {
    const block = encodeSectionHeaderBlock({ application: 'wsgate' });
    expect(toHex(block)).toBe(
      toHex(
        hex(`0a0d0d0a 2c000000 4d3c2b1a 0100 0000 ffffffff ffffffff
             0400 0600 77736761 74650000  0000 0000  2c000000`),
      ),
    );
  });

  it('writes an Ethernet Interface Description Block with microsecond timestamps', () => {
    const block = encodeInterfaceDescriptionBlock();
    expect(toHex(block)).toBe(
      toHex(hex('01000000 20000000 0100 0000 00000000 0900 0100 06000000 0000 0000 20000000')),
    );
  });

  it('writes an Enhanced Packet Block: timestamp halves, lengths, padding, total length twice', () => {
    const micros = 0x0005_f5e1_0000_0007;
    const block = encodeEnhancedPacketBlock(micros, hex('aabbccddee'));
    expect(toHex(block)).toBe(
      toHex(
        hex(
          '06000000 28000000 00000000 e1f50500 07000000 05000000 05000000 aabbccddee000000 28000000',
        ),
      ),
    );
    expect(block.length).toBe(enhancedPacketBlockLength(5));
  });

  it('records a truncated packet with its original length and a comment', () => {
    const block = encodeEnhancedPacketBlock(0, hex('0102'), {
      originalLength: 1500,
      comment: 'cut',
    });
    const data = view(block);
    expect(data.getUint32(20, true)).toBe(2);
    expect(data.getUint32(24, true)).toBe(1500);
    expect(toHex(block.subarray(32, 44))).toBe(toHex(hex('0100 0300 63757400 0000 0000')));
    expect(block.length).toBe(enhancedPacketBlockLength(2, 'cut'));
  });
});

describe('addresses', () => {
  it('parses IPv4, IPv6 with ::, zone indexes and IPv4-mapped IPv6 (as IPv4)', () => {
    expect(parseIpAddress('127.0.0.1')).toEqual({ family: 4, bytes: hex('7f000001') });
    expect(parseIpAddress('::1')).toEqual({
      family: 6,
      bytes: hex('00000000000000000000000000000001'),
    });
    expect(parseIpAddress('2001:db8::1:2')).toEqual({
      family: 6,
      bytes: hex('20010db8000000000000000000010002'),
    });
    expect(parseIpAddress('fe80::1%lo')?.bytes).toEqual(hex('fe800000000000000000000000000001'));
    expect(parseIpAddress('::ffff:10.1.2.3')).toEqual({ family: 4, bytes: hex('0a010203') });
  });

  it('refuses what is not an address', () => {
    for (const text of [
      '1.2.3',
      '256.0.0.1',
      ':::',
      '1::2::3',
      'localhost',
      '1:2:3:4:5:6:7:8:9',
      '',
    ]) {
      expect(parseIpAddress(text), text).toBeUndefined();
    }
  });
});

describe('Ethernet / IP / TCP framing', () => {
  it('builds an IPv4 TCP segment whose IP and TCP checksums verify', () => {
    const payload = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
    const frame = encodeTcpPacket({
      source: v4('127.0.0.1'),
      destination: v4('10.0.0.2'),
      sourcePort: 50000,
      destinationPort: 8080,
      sequence: 0xfffffff0,
      acknowledgment: 77,
      flags: TcpFlag.psh | TcpFlag.ack,
      payload,
    });
    const data = view(frame);
    expect(data.getUint16(12)).toBe(0x0800);
    expect(frame[14]).toBe(0x45);
    expect(data.getUint16(16)).toBe(20 + 20 + payload.length);
    expect(frame[23]).toBe(6);
    // RFC 791 §3.1: the header checksum makes the header sum to all ones.
    expect(sum16(frame, 14, 34)).toBe(0xffff);
    const tcp = 34;
    expect(data.getUint16(tcp)).toBe(50000);
    expect(data.getUint16(tcp + 2)).toBe(8080);
    expect(data.getUint32(tcp + 4)).toBe(0xfffffff0);
    expect(data.getUint32(tcp + 8)).toBe(77);
    expect(frame[tcp + 13]).toBe(0x18);
    const pseudo = new Uint8Array(12);
    pseudo.set(hex('7f000001 0a000002'), 0);
    pseudo[9] = 6;
    view(pseudo).setUint16(10, frame.length - tcp);
    expect(sum16(frame, tcp, frame.length, sum16(pseudo))).toBe(0xffff);
    expect(new TextDecoder().decode(frame.subarray(tcp + 20))).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('builds an IPv6 TCP segment whose TCP checksum verifies over the IPv6 pseudo-header', () => {
    const source = parseIpAddress('::1') as NonNullable<ReturnType<typeof parseIpAddress>>;
    const frame = encodeTcpPacket({
      source,
      destination: source,
      sourcePort: 1,
      destinationPort: 2,
      sequence: 1,
      acknowledgment: 0,
      flags: TcpFlag.syn,
      payload: hex('01'),
    });
    const data = view(frame);
    expect(data.getUint16(12)).toBe(0x86dd);
    expect(frame[14]).toBe(0x60);
    expect(data.getUint16(18)).toBe(21);
    expect(frame[20]).toBe(6);
    const tcp = 54;
    expect(data.getUint32(tcp + 8)).toBe(0);
    const pseudo = new Uint8Array(40);
    pseudo.set(source.bytes, 0);
    pseudo.set(source.bytes, 16);
    view(pseudo).setUint32(32, 21);
    pseudo[39] = 6;
    expect(sum16(frame, tcp, frame.length, sum16(pseudo))).toBe(0xffff);
  });
});

describe('TcpFlow', () => {
  function segment(frame: Uint8Array): { seq: number; ack: number; flags: number; length: number } {
    const data = view(frame);
    return {
      seq: data.getUint32(38),
      ack: data.getUint32(42),
      flags: frame[47] as number,
      length: frame.length - 54,
    };
  }

  it('opens with SYN, SYN-ACK, ACK and numbers the data of both sides', () => {
    const flow = TcpFlow.create(
      { address: '127.0.0.1', port: 40000 },
      { address: '127.0.0.1', port: 8080 },
      { client: 100, server: 900 },
    ) as TcpFlow;
    expect(flow.open().map(segment)).toEqual([
      { seq: 100, ack: 0, flags: TcpFlag.syn, length: 0 },
      { seq: 900, ack: 101, flags: TcpFlag.syn | TcpFlag.ack, length: 0 },
      { seq: 101, ack: 901, flags: TcpFlag.ack, length: 0 },
    ]);
    expect(flow.open()).toEqual([]);
    expect(flow.send('client', new Uint8Array(10)).map(segment)).toEqual([
      { seq: 101, ack: 901, flags: TcpFlag.psh | TcpFlag.ack, length: 10 },
    ]);
    expect(flow.send('server', new Uint8Array(3)).map(segment)).toEqual([
      { seq: 901, ack: 111, flags: TcpFlag.psh | TcpFlag.ack, length: 3 },
    ]);
    expect(flow.finish('server').map(segment)).toEqual([
      { seq: 904, ack: 111, flags: TcpFlag.fin | TcpFlag.ack, length: 0 },
    ]);
    expect(flow.ended).toBe(false);
    expect(flow.finish('client').map(segment)).toEqual([
      { seq: 111, ack: 905, flags: TcpFlag.fin | TcpFlag.ack, length: 0 },
      { seq: 905, ack: 112, flags: TcpFlag.ack, length: 0 },
    ]);
    expect(flow.ended).toBe(true);
    expect(flow.send('client', new Uint8Array(1))).toEqual([]);
  });

  it('opens on first use and cuts large data into segments with consecutive numbers', () => {
    const flow = TcpFlow.create(
      { address: '10.0.0.1', port: 1 },
      { address: '10.0.0.2', port: 2 },
      { client: 0, server: 0 },
    ) as TcpFlow;
    const frames = flow
      .send('client', new Uint8Array(MAX_SEGMENT_PAYLOAD_BYTES * 2 + 5))
      .map(segment);
    expect(frames.slice(0, 3).map((item) => item.flags)).toEqual([
      TcpFlag.syn,
      TcpFlag.syn | TcpFlag.ack,
      TcpFlag.ack,
    ]);
    expect(frames.slice(3).map((item) => [item.seq, item.length])).toEqual([
      [1, MAX_SEGMENT_PAYLOAD_BYTES],
      [1 + MAX_SEGMENT_PAYLOAD_BYTES, MAX_SEGMENT_PAYLOAD_BYTES],
      [1 + 2 * MAX_SEGMENT_PAYLOAD_BYTES, 5],
    ]);
  });

  it('wraps sequence numbers at 2^32 (RFC 9293 §3.4)', () => {
    const flow = TcpFlow.create(
      { address: '10.0.0.1', port: 1 },
      { address: '10.0.0.2', port: 2 },
      { client: 0xfffffffe, server: 0 },
    ) as TcpFlow;
    flow.open();
    flow.send('client', new Uint8Array(4));
    expect(segment(flow.finish('client')[0] as Uint8Array).seq).toBe(3);
  });

  it('ends with a reset from one side', () => {
    const flow = TcpFlow.create(
      { address: '10.0.0.1', port: 1 },
      { address: '10.0.0.2', port: 2 },
    ) as TcpFlow;
    const frames = flow.reset('server');
    expect(segment(frames[frames.length - 1] as Uint8Array).flags).toBe(TcpFlag.rst | TcpFlag.ack);
    expect(flow.ended).toBe(true);
    expect(flow.finish('client')).toEqual([]);
  });

  it('is not created for an address it cannot parse', () => {
    expect(
      TcpFlow.create({ address: 'pipe', port: 0 }, { address: '127.0.0.1', port: 1 }),
    ).toBeUndefined();
  });
});
