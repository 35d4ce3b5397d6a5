import type { ConformanceCase } from '../types.js';
import { encodeFrame } from '../wire.js';
import {
  binary,
  CLEAN,
  chopped,
  defineCase,
  echoBinary,
  echoText,
  fail,
  hex,
  ping,
  raw,
  script,
  send,
  text,
  wait,
} from './helpers.js';

// 1.x Framing (RFC 6455 §5.2): payload lengths across the 7-bit, 16-bit and 64-bit encodings,
// whole and chopped, then the framing rules a server must enforce (§5.1 masking, §5.2 length).

const SIZES = [0, 125, 126, 127, 128, 65_535, 65_536] as const;

function lengths(group: '1.1' | '1.2'): ConformanceCase[] {
  const isText = group === '1.1';
  const kind = isText ? 'text' : 'binary';
  const payload = (size: number) => (isText ? Buffer.alloc(size, '*') : Buffer.alloc(size, 0xfe));
  const make = isText ? text : binary;
  const expectEcho = isText ? echoText : echoBinary;
  const cases = SIZES.map((size, i) =>
    defineCase(
      '1',
      `${group}.${i + 1}`,
      `Send a ${kind} message of ${size} bytes; it is echoed.`,
      () => script([send(make(payload(size)))], [expectEcho(payload(size))], CLEAN),
    ),
  );
  cases.push(
    defineCase(
      '1',
      `${group}.8`,
      `Send a ${kind} message of 65536 bytes in chops of 997 octets; it is echoed.`,
      () =>
        script(
          [chopped({ bytes: 997, delayMs: 0 }, make(payload(65_536)))],
          [expectEcho(payload(65_536))],
          CLEAN,
        ),
    ),
    defineCase('1', `${group}.9`, `Send a ${kind} message of 65537 bytes; it is echoed.`, () =>
      script([send(make(payload(65_537)))], [expectEcho(payload(65_537))], CLEAN),
    ),
  );
  return cases;
}

/** A frame header announcing a 64-bit length whose most significant bit is set. */
function oversizedLengthFrame(): Buffer {
  return Buffer.concat([
    hex('82 ff 80 00 00 00 00 00 00 10'),
    hex('01 02 03 04'),
    Buffer.alloc(16),
  ]);
}

const rules: ConformanceCase[] = [
  defineCase(
    '1',
    '1.3.1',
    'Send an unmasked text frame; the server must close the connection (RFC 6455 §5.1, close 1002 MAY be sent).',
    () =>
      script(
        [send(text('unmasked', { masked: false }))],
        [],
        fail([1002], { closeFrameOptional: true }),
      ),
  ),
  defineCase(
    '1',
    '1.3.2',
    'Send an unmasked ping; the server must close the connection (RFC 6455 §5.1).',
    () =>
      script(
        [send(ping('unmasked', { masked: false }))],
        [],
        fail([1002], { closeFrameOptional: true }),
      ),
  ),
  defineCase(
    '1',
    '1.3.3',
    'Send a text frame masked with the all-zero key; it is echoed (any key is valid, RFC 6455 §5.3).',
    () =>
      script(
        [send(text('zero mask key', { maskKey: new Uint8Array(4) }))],
        [echoText('zero mask key')],
        CLEAN,
      ),
  ),
  defineCase(
    '1',
    '1.3.4',
    'Send a frame whose 64-bit length has its most significant bit set; the connection is failed (RFC 6455 §5.2).',
    () => script([raw(oversizedLengthFrame())], [], fail([1002, 1009])),
  ),
  defineCase(
    '1',
    '1.3.8',
    'Send a frame announcing 2^63 - 1 bytes (the largest valid length); failed with 1009 before any payload.',
    () =>
      script(
        [
          raw(
            Buffer.concat([
              hex('82 ff 7f ff ff ff ff ff ff ff'),
              hex('01 02 03 04'),
              Buffer.alloc(16),
            ]),
          ),
        ],
        [],
        fail([1009]),
      ),
  ),
  defineCase(
    '1',
    '1.3.5',
    'Send two text messages and a binary message in one write; all are echoed in order.',
    () =>
      script(
        [send(text('first'), text('second'), binary(hex('00 01 02')))],
        [echoText('first'), echoText('second'), echoBinary(hex('00 01 02'))],
        CLEAN,
      ),
  ),
  defineCase(
    '1',
    '1.3.6',
    'Send a 200-byte text message (16-bit length) in octet-wise chops; it is echoed.',
    () =>
      script(
        [chopped({ bytes: 1, delayMs: 0 }, text(Buffer.alloc(200, 'x')))],
        [echoText(Buffer.alloc(200, 'x'))],
        CLEAN,
      ),
  ),
  defineCase(
    '1',
    '1.3.7',
    'Send a 64 KiB binary message whose header arrives in three writes (2 bytes, 3 bytes, the rest); it is echoed.',
    () => {
      const payload = Buffer.alloc(65_536, 0x5a);
      const wire = encodeFrame(binary(payload));
      return script(
        [
          raw(wire.subarray(0, 2)),
          wait(5),
          raw(wire.subarray(2, 5)),
          wait(5),
          raw(wire.subarray(5)),
        ],
        [echoBinary(payload)],
        CLEAN,
      );
    },
  ),
];

export const framingCases: ConformanceCase[] = [...lengths('1.1'), ...lengths('1.2'), ...rules];
