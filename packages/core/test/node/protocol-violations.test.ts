import {
  clientFrame,
  clientFrameHeader,
  closePayload,
  nextEvent,
  openRawWebSocket,
  type RawWebSocket,
} from '@wsgate/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { isClosingCode } from '../../src/adapter/index.js';
import {
  type ClosingCode,
  catalogue,
  type ErrorCode,
  errorCodes,
  type ServerOptions,
  type WebSocketConnection,
  type WsgateError,
} from '../../src/index.js';
import { closeHarnesses, type Harness, startHarness } from './harness.js';

// Every way a client can break RFC 6455 after the upgrade, sent over a real TCP socket to a
// real server: the close frame must carry the catalogue's close code and a reason that starts
// with the code, the server must close TCP, and the server's close event must name the code.

const raws: RawWebSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await closeHarnesses();
});

function harness(
  options: ServerOptions = {},
  onConnection: (connection: WebSocketConnection) => void = () => {},
): Promise<Harness> {
  return startHarness(options, { onConnection });
}

/**
 * A masked client frame with any first byte (FIN, RSV1-3, opcode), so that reserved bits and
 * opcodes can be set that no encoder writes. The mask key is zero: the payload goes as is.
 */
function frameWithFirstByte(first: number, payload: Uint8Array | string = ''): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  if (bytes.length > 125) throw new Error('short payloads only');
  return Buffer.concat([Buffer.from([first, 0x80 | bytes.length, 0, 0, 0, 0]), bytes]);
}

const FIN = 0x80;
const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;
const PING = 9;

interface ViolationCase {
  readonly name: string;
  readonly code: ClosingCode;
  readonly bytes: Buffer;
  readonly server?: ServerOptions;
  /** Headers of the handshake (an extension offer). */
  readonly headers?: Record<string, string>;
  /** Messages that are complete and valid before the violation. */
  readonly delivered?: readonly string[];
}

const violations: ViolationCase[] = [
  {
    name: 'an unmasked text frame (RFC 6455 §5.1)',
    code: 'WSG_FRAME_UNMASKED',
    bytes: clientFrame(TEXT, 'hello', { mask: false }),
  },
  {
    name: 'an unmasked ping (RFC 6455 §5.1)',
    code: 'WSG_FRAME_UNMASKED',
    bytes: clientFrame(PING, 'hello', { mask: false }),
  },
  {
    name: 'RSV1 without permessage-deflate (RFC 6455 §5.2)',
    code: 'WSG_FRAME_RSV_BITS',
    bytes: frameWithFirstByte(FIN | 0x40 | TEXT, 'hello'),
  },
  {
    name: 'RSV2 on a text frame (RFC 6455 §5.2)',
    code: 'WSG_FRAME_RSV_BITS',
    bytes: frameWithFirstByte(FIN | 0x20 | TEXT, 'hello'),
  },
  {
    name: 'RSV3 on a binary frame (RFC 6455 §5.2)',
    code: 'WSG_FRAME_RSV_BITS',
    bytes: frameWithFirstByte(FIN | 0x10 | BINARY, 'hello'),
  },
  {
    name: 'RSV1 on a ping under permessage-deflate (RFC 7692 §6)',
    code: 'WSG_FRAME_RSV_BITS',
    bytes: frameWithFirstByte(FIN | 0x40 | PING, 'hello'),
    server: { perMessageDeflate: true },
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
  },
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map(
    (opcode): ViolationCase => ({
      name: `reserved opcode ${opcode} (RFC 6455 §5.2)`,
      code: 'WSG_FRAME_OPCODE_UNKNOWN',
      bytes: frameWithFirstByte(FIN | opcode, 'x'),
    }),
  ),
  {
    name: 'a 64-bit length with its most significant bit set (RFC 6455 §5.2)',
    code: 'WSG_FRAME_LENGTH_INVALID',
    bytes: Buffer.from(`82ff${'80'}00000000000001${'00000000'}`, 'hex'),
  },
  {
    name: 'a ping of 126 bytes (RFC 6455 §5.5)',
    code: 'WSG_CONTROL_FRAME_TOO_LONG',
    bytes: clientFrame(PING, Buffer.alloc(126, 0x70)),
  },
  {
    name: 'a close frame announcing 126 bytes, before any of them arrive (RFC 6455 §5.5)',
    code: 'WSG_CONTROL_FRAME_TOO_LONG',
    bytes: Buffer.from('88fe007e00000000', 'hex'),
  },
  {
    name: 'a fragmented ping (RFC 6455 §5.5)',
    code: 'WSG_CONTROL_FRAME_FRAGMENTED',
    bytes: clientFrame(PING, 'half', { fin: false }),
  },
  {
    name: 'a fragmented close (RFC 6455 §5.5)',
    code: 'WSG_CONTROL_FRAME_FRAGMENTED',
    bytes: clientFrame(CLOSE, closePayload(1000), { fin: false }),
  },
  {
    name: 'a continuation frame with no message in progress (RFC 6455 §5.4)',
    code: 'WSG_CONTINUATION_UNEXPECTED',
    bytes: clientFrame(0, 'orphan'),
  },
  {
    name: 'a continuation frame after a finished message (RFC 6455 §5.4)',
    code: 'WSG_CONTINUATION_UNEXPECTED',
    bytes: Buffer.concat([clientFrame(TEXT, 'done'), clientFrame(0, 'more')]),
    delivered: ['done'],
  },
  {
    name: 'a new text frame inside a fragmented message (RFC 6455 §5.4)',
    code: 'WSG_CONTINUATION_EXPECTED',
    bytes: Buffer.concat([clientFrame(TEXT, 'Hel', { fin: false }), clientFrame(TEXT, 'lo')]),
  },
  {
    name: 'a new binary frame inside a fragmented message (RFC 6455 §5.4)',
    code: 'WSG_CONTINUATION_EXPECTED',
    bytes: Buffer.concat([clientFrame(BINARY, 'ab', { fin: false }), clientFrame(BINARY, 'cd')]),
  },
  {
    name: 'a close payload of one byte (RFC 6455 §5.5.1)',
    code: 'WSG_CLOSE_PAYLOAD_INVALID',
    bytes: clientFrame(CLOSE, Buffer.from([0x03])),
  },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535].map(
    (code): ViolationCase => ({
      name: `close code ${code} (RFC 6455 §7.4)`,
      code: 'WSG_CLOSE_CODE_INVALID',
      bytes: clientFrame(CLOSE, closePayload(code, 'bye')),
    }),
  ),
  {
    name: 'a close reason that is not UTF-8 (RFC 6455 §5.5.1)',
    code: 'WSG_CLOSE_REASON_INVALID_UTF8',
    bytes: clientFrame(CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xce, 0xba, 0xff])])),
  },
  {
    name: 'a text message that is not UTF-8 (RFC 6455 §8.1)',
    code: 'WSG_TEXT_INVALID_UTF8',
    bytes: clientFrame(TEXT, Buffer.from([0x68, 0x69, 0xc0, 0xaf])),
  },
  {
    name: 'a UTF-16 surrogate encoded in a text message (RFC 3629 §3)',
    code: 'WSG_TEXT_INVALID_UTF8',
    bytes: clientFrame(TEXT, Buffer.from('eda080', 'hex')),
  },
  {
    name: 'a text message that ends inside a character (RFC 6455 §8.1)',
    code: 'WSG_TEXT_INVALID_UTF8',
    bytes: Buffer.concat([
      clientFrame(TEXT, Buffer.from([0x61, 0xe2, 0x82]), { fin: false }),
      clientFrame(0, ''),
    ]),
  },
  {
    name: 'a message announced over maxMessageBytes (header only)',
    code: 'WSG_MESSAGE_TOO_BIG',
    bytes: clientFrameHeader(BINARY, 1024 * 1024 + 1),
    server: { maxMessageBytes: 1024 * 1024 },
  },
  {
    name: 'corrupt DEFLATE data in a compressed message (RFC 7692 §8)',
    code: 'WSG_COMPRESSED_DATA_INVALID',
    bytes: frameWithFirstByte(FIN | 0x40 | BINARY, Buffer.from([0xff, 0xff, 0xff, 0xff])),
    server: { perMessageDeflate: true },
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
  },
];

describe('a server fails a connection that breaks the protocol, over TCP', () => {
  it.each(violations)('$name: close with $code', async (c) => {
    const h = await harness(c.server);
    const raw = await openRawWebSocket(
      h.port,
      c.headers === undefined ? {} : { headers: c.headers },
    );
    raws.push(raw);
    const connection = await h.connection();
    const closed = nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
    raw.sendRaw(c.bytes);
    await raw.waitForFrames(1);
    const expected = catalogue[c.code].closeCode;
    const frame = raw.closeFrame();
    expect(frame?.code).toBe(expected);
    expect(frame?.reason.startsWith(`${c.code}:`)).toBe(true);
    expect(Buffer.byteLength(frame?.reason ?? '')).toBeLessThanOrEqual(123);
    // RFC 6455 §7.1.1: the server closes TCP first.
    expect(await raw.waitForClose()).toBe(true);
    const [code, reason, error] = await closed;
    expect(code).toBe(expected);
    expect(reason.startsWith(`${c.code}:`)).toBe(true);
    expect(error?.code).toBe(c.code);
    expect(h.logs).toContainEqual(expect.objectContaining({ code: c.code }));
    expect(h.messages.map((m) => m.data)).toEqual(c.delivered ?? []);
  });

  it('covers every protocol entry of the catalogue a client can provoke, here or in the named files', () => {
    const elsewhere: Partial<Record<ErrorCode, string>> = {
      WSG_FRAME_MASKED: 'client.test.ts (a server that masks, seen by connect())',
      WSG_EXTENSION_REQUIRED: 'client.test.ts (connect() requiring permessage-deflate)',
      WSG_MESSAGE_RATE_EXCEEDED: 'limits.test.ts',
      WSG_SEND_BUFFER_FULL: 'limits.test.ts',
      WSG_INTERNAL_ERROR: 'connection.test.ts (a throwing message listener)',
      WSG_POLICY_VIOLATION: 'this file (an application decision)',
      WSG_MESSAGE_MALFORMED: 'packages/nestjs (event-based gateways)',
      WSG_EVENT_UNHANDLED: 'packages/nestjs (event-based gateways)',
    };
    const here = new Set(violations.map((c) => c.code));
    const protocolCodes = errorCodes
      .filter(isClosingCode)
      .filter((code) => catalogue[code].kind === 'protocol');
    expect(
      protocolCodes.filter((code) => !here.has(code) && elsewhere[code] === undefined),
    ).toEqual([]);
  });
});

describe('RFC 6455 §8.1 invalid UTF-8 fails fast, over TCP', () => {
  it('fails on the first fragment of a message whose later fragments never come', async () => {
    const h = await harness();
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    // Valid text, then an invalid byte, in a first fragment with FIN clear: no more is sent.
    raw.sendRaw(clientFrame(TEXT, Buffer.from([0x6f, 0x6b, 0x20, 0xf8]), { fin: false }));
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
    expect(raw.closeFrame()?.reason.startsWith('WSG_TEXT_INVALID_UTF8')).toBe(true);
    expect(await raw.waitForClose()).toBe(true);
  });

  it('fails inside a frame whose announced payload has not all arrived', async () => {
    const h = await harness();
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    // A text frame announcing 1,000 bytes (zero mask key), of which only 4 are sent.
    raw.sendRaw(
      Buffer.concat([
        Buffer.from('81fe03e800000000', 'hex'),
        Buffer.from([0x61, 0x62, 0xff, 0x63]),
      ]),
    );
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
    expect(await raw.waitForClose()).toBe(true);
  });

  it('fails in a later fragment at the byte that breaks a character begun in an earlier one', async () => {
    const h = await harness();
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    // "€" is E2 82 AC: the first fragment ends after E2, the second brings 82 then 0x41.
    raw.sendRaw(
      Buffer.concat([
        clientFrame(TEXT, Buffer.from([0x61, 0xe2]), { fin: false }),
        clientFrame(0, Buffer.from([0x82, 0x41]), { fin: false }),
      ]),
    );
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1007);
  });
});

describe('RFC 6455 §7.4 close codes a client may send, over TCP', () => {
  it.each([
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
  ])(
    'code %i is accepted: the server reports it with its reason and answers with it',
    async (code) => {
      const h = await harness();
      const raw = await openRawWebSocket(h.port);
      raws.push(raw);
      const connection = await h.connection();
      const closed = nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
      raw.sendFrame(CLOSE, closePayload(code, 'κόσμε'));
      await raw.waitForFrames(1);
      expect(raw.closeFrame()?.code).toBe(code);
      expect(await raw.waitForClose()).toBe(true);
      const [reported, reason] = await closed;
      expect(reported).toBe(code);
      expect(reason).toBe('κόσμε');
    },
  );

  it('a close frame without a payload is reported as 1005 and answered with an empty close', async () => {
    const h = await harness();
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    const connection = await h.connection();
    const closed = nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
    raw.sendFrame(CLOSE);
    await raw.waitForFrames(1);
    expect(raw.frames[0]?.opcode).toBe(CLOSE);
    expect(raw.frames[0]?.payload.length).toBe(0);
    expect((await closed)[0]).toBe(1005);
  });
});

describe('application decisions', () => {
  it('fail(WSG_POLICY_VIOLATION) closes with 1008 and the code as reason', async () => {
    const h = await harness({}, (connection) => {
      connection.on('message', (data) => {
        if (String(data).includes('forbidden'))
          connection.fail('WSG_POLICY_VIOLATION', 'word list');
      });
    });
    const raw = await openRawWebSocket(h.port);
    raws.push(raw);
    const connection = await h.connection();
    const closed = nextEvent<[number, string, WsgateError | undefined]>(connection, 'close');
    raw.sendFrame(TEXT, 'a forbidden word');
    await raw.waitForFrames(1);
    expect(raw.closeFrame()?.code).toBe(1008);
    expect(raw.closeFrame()?.reason).toBe('WSG_POLICY_VIOLATION: Policy violation');
    expect(await raw.waitForClose()).toBe(true);
    const [code, , error] = await closed;
    expect(code).toBe(1008);
    expect(error?.code).toBe('WSG_POLICY_VIOLATION');
    expect(error?.detail).toBe('word list');
  });
});
