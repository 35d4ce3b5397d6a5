import type { ConformanceCase } from '../types.js';
import {
  CLEAN,
  continuation,
  defineCase,
  echoText,
  fail,
  failFastMark,
  frameInPieces,
  hex,
  script,
  send,
  text,
  wait,
} from './helpers.js';

// 6.x UTF-8 handling (RFC 6455 §8.1, RFC 3629): a text message is echoed when it is valid UTF-8
// and fails the connection with 1007 otherwise, also across fragment boundaries. 6.4.x check
// that the failure is fast: it comes as soon as the invalid byte arrives, not at the end.
// 6.5 onward follow the categories of Markus Kuhn's UTF-8 decoder stress test.

const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
const HELLO = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!');
/** Long enough for a loaded machine to answer; the close must come within it. */
const PAUSE_MS = 300;

/** A vector sent as one text frame: echoed if valid, failed with 1007 if not. */
function vectorCase(
  id: string,
  description: string,
  payload: Buffer,
  valid: boolean,
): ConformanceCase {
  const shown =
    payload.length <= 24
      ? payload.toString('hex').replace(/(..)(?!$)/g, '$1 ')
      : `${payload.length} bytes`;
  return defineCase(
    '6',
    id,
    `${description} [${shown}]: ${valid ? 'valid, echoed' : 'invalid, failed with 1007'}.`,
    () =>
      script([send(text(payload))], valid ? [echoText(payload)] : [], valid ? CLEAN : fail([1007])),
  );
}

function group(
  prefix: string,
  description: string,
  vectors: readonly (readonly [string, boolean])[],
): ConformanceCase[] {
  return vectors.map(([bytesHex, valid], i) =>
    vectorCase(`${prefix}.${i + 1}`, description, hex(bytesHex), valid),
  );
}

const range = (from: number, to: number, suffix = ''): string => {
  const parts: string[] = [];
  for (let b = from; b <= to; b++) parts.push(b.toString(16).padStart(2, '0') + suffix);
  return parts.join(' ');
};

function basics(): ConformanceCase[] {
  const octets = (payload: Buffer) =>
    Array.from(payload, (byte, i) =>
      i === 0
        ? text(Buffer.from([byte]), { fin: payload.length === 1 })
        : continuation(Buffer.from([byte]), { fin: i === payload.length - 1 }),
    );
  const invalid = Buffer.concat([KOSME, hex('ed a0 80'), Buffer.from('edited')]);
  return [
    defineCase('6', '6.1.1', 'Send an empty text message; it is echoed.', () =>
      script([send(text(''))], [echoText('')], CLEAN),
    ),
    defineCase('6', '6.1.2', 'Send an empty text message in 3 empty fragments; it is echoed.', () =>
      script(
        [send(text('', { fin: false }), continuation('', { fin: false }), continuation(''))],
        [echoText('')],
        CLEAN,
      ),
    ),
    defineCase(
      '6',
      '6.1.3',
      'Send a text message as an empty fragment, a non-empty one and an empty last one; it is echoed.',
      () =>
        script(
          [
            send(
              text('', { fin: false }),
              continuation('middle frame payload', { fin: false }),
              continuation(''),
            ),
          ],
          [echoText('middle frame payload')],
          CLEAN,
        ),
    ),
    defineCase(
      '6',
      '6.2.1',
      'Send valid UTF-8 with 2-byte characters in one frame; it is echoed.',
      () => script([send(text(HELLO))], [echoText(HELLO)], CLEAN),
    ),
    defineCase(
      '6',
      '6.2.2',
      'As 6.2.1 in 2 fragments cut on a character boundary (after "ä"); it is echoed.',
      () =>
        script(
          [send(text(HELLO.subarray(0, 15), { fin: false }), continuation(HELLO.subarray(15)))],
          [echoText(HELLO)],
          CLEAN,
        ),
    ),
    defineCase(
      '6',
      '6.2.3',
      'As 6.2.1 in fragments of 1 octet (cutting inside characters); it is echoed.',
      () => script([send(...octets(HELLO))], [echoText(HELLO)], CLEAN),
    ),
    defineCase('6', '6.2.4', 'Send κόσμε in fragments of 1 octet; it is echoed.', () =>
      script([send(...octets(KOSME))], [echoText(KOSME)], CLEAN),
    ),
    defineCase(
      '6',
      '6.3.1',
      'Send invalid UTF-8 (a surrogate inside κόσμε…edited) in one frame; failed with 1007.',
      () => script([send(text(invalid))], [], fail([1007])),
    ),
    defineCase('6', '6.3.2', 'As 6.3.1 in fragments of 1 octet; failed with 1007.', () =>
      script([send(...octets(invalid))], [], fail([1007])),
    ),
  ];
}

/** 6.4.x: the invalid part arrives, we pause, and the close must come before the rest is sent. */
function failFast(): ConformanceCase[] {
  const part1 = KOSME;
  const rest = Buffer.from('edited');
  // U+110000 written as if it were allowed: F4 90 80 80; the byte 90 makes it invalid.
  const outOfRange = hex('f4 90 80 80');
  const fragmented = (part2: Buffer, part3: Buffer) =>
    script(
      [
        send(text(part1, { fin: false })),
        wait(PAUSE_MS),
        send(continuation(part2, { fin: false })),
        wait(PAUSE_MS),
        failFastMark,
        send(continuation(part3)),
      ],
      [],
      fail([1007], { fast: true }),
    );
  const chopped = (part2Length: number) => {
    const payload = Buffer.concat([part1, outOfRange, rest]);
    return script(
      frameInPieces(text(payload), [part1.length, part1.length + part2Length], PAUSE_MS, 2),
      [],
      fail([1007], { fast: true }),
    );
  };
  const bigPrefix = Buffer.alloc(256 * 1024, 0x61);
  return [
    defineCase(
      '6',
      '6.4.1',
      'Send a text message in 3 fragments, the 2nd holding U+110000 (f4 90 80 80); the close must come before the 3rd (fail fast).',
      () => fragmented(outOfRange, rest),
    ),
    defineCase(
      '6',
      '6.4.2',
      'As 6.4.1, the 2nd fragment ending with the octet that makes it invalid (f4 90); fail fast.',
      () => fragmented(outOfRange.subarray(0, 2), Buffer.concat([outOfRange.subarray(2), rest])),
    ),
    defineCase(
      '6',
      '6.4.3',
      'As 6.4.1 with one frame written in 3 chops, the 2nd holding f4 90 80 80; the close must come before the 3rd chop.',
      () => chopped(4),
    ),
    defineCase(
      '6',
      '6.4.4',
      'As 6.4.3, the 2nd chop ending with the octet that makes it invalid (f4 90); fail fast.',
      () => chopped(2),
    ),
    defineCase(
      '6',
      '6.4.5',
      'Send a 512 KiB text frame whose byte 256 Ki is 0xff, in 2 chops; the close must come before the 2nd half (fail fast).',
      () => {
        const payload = Buffer.concat([bigPrefix, hex('ff'), bigPrefix.subarray(1)]);
        return script(
          frameInPieces(text(payload), [bigPrefix.length + 1], PAUSE_MS, 1),
          [],
          fail([1007], { fast: true }),
        );
      },
    ),
    defineCase(
      '6',
      '6.4.6',
      'Send a text fragment ending in a lone continuation byte (0x80 after ASCII), pause, then the last fragment; fail fast.',
      () =>
        script(
          [
            send(text(Buffer.from('abc\x80', 'latin1'), { fin: false })),
            wait(PAUSE_MS),
            failFastMark,
            send(continuation('def')),
          ],
          [],
          fail([1007], { fast: true }),
        ),
    ),
  ];
}

function kuhn(): ConformanceCase[] {
  const kosmePrefixes = Array.from({ length: KOSME.length }, (_, i) => {
    const prefix = KOSME.subarray(0, i + 1);
    return [prefix.toString('hex'), [2, 5, 7, 9, 11].includes(i + 1)] as const;
  });
  const incomplete = [
    'c0',
    'e0 80',
    'f0 80 80',
    'f8 80 80 80',
    'fc 80 80 80 80',
    'df',
    'ef bf',
    'f7 bf bf',
    'fb bf bf bf',
    'fd bf bf bf bf',
  ];
  const nonCharacters: (readonly [string, boolean])[] = [
    ['ef bf be', true],
    ['ef bf bf', true],
  ];
  for (let plane = 1; plane <= 16; plane++) {
    for (const low of [0xfffe, 0xffff]) {
      nonCharacters.push([
        Buffer.from(String.fromCodePoint(plane * 0x10000 + low)).toString('hex'),
        true,
      ]);
    }
  }
  return [
    // 6.5.1-6.5.5 as Autobahn: one character of each length between ASCII words, then κόσμε.
    ...group('6.5', 'Valid UTF-8 sample', [
      [Buffer.from('hello$world').toString('hex'), true],
      [Buffer.from('hello\u00a2world').toString('hex'), true],
      [Buffer.from('hello\u20acworld').toString('hex'), true],
      [Buffer.from('hello\u{24b62}world').toString('hex'), true],
      [KOSME.toString('hex'), true],
      [HELLO.toString('hex'), true],
      [Buffer.from('こんにちは世界').toString('hex'), true],
      [Buffer.from('😀 grinning 🚀').toString('hex'), true],
      ['01 7f c2 80 df bf e0 a0 80 ef bf bf f0 90 80 80', true],
    ]),
    ...group('6.6', 'Prefix of κόσμε', kosmePrefixes),
    ...group('6.7', 'First possible sequence of its length', [
      ['00', true],
      ['c2 80', true],
      ['e0 a0 80', true],
      ['f0 90 80 80', true],
    ]),
    ...group('6.8', 'First possible sequence of 5 or 6 bytes', [
      ['f8 88 80 80 80', false],
      ['fc 84 80 80 80 80', false],
    ]),
    ...group('6.9', 'Last possible sequence of its length', [
      ['7f', true],
      ['df bf', true],
      ['ef bf bf', true],
      ['f4 8f bf bf', true],
    ]),
    ...group('6.10', 'Last possible sequence of 4 to 6 bytes, beyond U+10FFFF', [
      ['f7 bf bf bf', false],
      ['fb bf bf bf bf', false],
      ['fd bf bf bf bf bf', false],
    ]),
    ...group('6.11', 'Other boundary condition', [
      ['ed 9f bf', true],
      ['ee 80 80', true],
      ['ef bf bd', true],
      ['f4 8f bf bf', true],
      ['f4 90 80 80', false],
    ]),
    ...group('6.12', 'Unexpected continuation bytes', [
      ['80', false],
      ['bf', false],
      ['80 bf', false],
      ['80 bf 80', false],
      ['80 bf 80 bf', false],
      ['80 bf 80 bf 80', false],
      ['80 bf 80 bf 80 bf', false],
      [range(0x80, 0xbf), false],
    ]),
    ...group('6.13', 'Lonely start characters, each followed by a space', [
      [range(0xc0, 0xdf, '20'), false],
      [range(0xe0, 0xef, '20'), false],
      [range(0xf0, 0xf7, '20'), false],
      [range(0xf8, 0xfb, '20'), false],
      [range(0xfc, 0xfd, '20'), false],
    ]),
    ...group(
      '6.14',
      'Sequence with its last continuation byte missing',
      incomplete.map((h) => [h, false] as const),
    ),
    ...group('6.15', 'Concatenation of incomplete sequences', [[incomplete.join(' '), false]]),
    ...group('6.16', 'Impossible bytes', [
      ['fe', false],
      ['ff', false],
      ['fe fe ff ff', false],
    ]),
    ...group('6.17', 'Overlong encoding of "/"', [
      ['c0 af', false],
      ['e0 80 af', false],
      ['f0 80 80 af', false],
      ['f8 80 80 80 af', false],
      ['fc 80 80 80 80 af', false],
    ]),
    ...group('6.18', 'Maximum overlong sequence', [
      ['c1 bf', false],
      ['e0 9f bf', false],
      ['f0 8f bf bf', false],
      ['f8 87 bf bf bf', false],
      ['fc 83 bf bf bf bf', false],
    ]),
    ...group('6.19', 'Overlong encoding of NUL', [
      ['c0 80', false],
      ['e0 80 80', false],
      ['f0 80 80 80', false],
      ['f8 80 80 80 80', false],
      ['fc 80 80 80 80 80', false],
    ]),
    ...group('6.20', 'Single UTF-16 surrogate', [
      ['ed a0 80', false],
      ['ed ad bf', false],
      ['ed ae 80', false],
      ['ed af bf', false],
      ['ed b0 80', false],
      ['ed be 80', false],
      ['ed bf bf', false],
    ]),
    ...group('6.21', 'Paired UTF-16 surrogates', [
      ['ed a0 80 ed b0 80', false],
      ['ed a0 80 ed bf bf', false],
      ['ed ad bf ed b0 80', false],
      ['ed ad bf ed bf bf', false],
      ['ed ae 80 ed b0 80', false],
      ['ed ae 80 ed bf bf', false],
      ['ed af bf ed b0 80', false],
      ['ed af bf ed bf bf', false],
    ]),
    ...group('6.22', 'Noncharacter code point (valid UTF-8)', nonCharacters),
    // 6.23.1-6.23.7 as Autobahn: the Specials block, U+FFF9 to U+FFFF (all valid UTF-8).
    ...group('6.23', 'Unicode special or other valid sequence', [
      ['ef bf b9', true],
      ['ef bf ba', true],
      ['ef bf bb', true],
      ['ef bf bc', true],
      ['ef bf bd', true],
      ['ef bf be', true],
      ['ef bf bf', true],
      ['ef bb bf', true],
      [`ef bb bf ${Buffer.from('after a BOM').toString('hex')}`, true],
      ['61 00 62', true],
      ['ef b7 90', true],
      ['ef b7 af', true],
      ['f0 9f 98 80', true],
    ]),
  ];
}

export const utf8Cases: ConformanceCase[] = [...basics(), ...failFast(), ...kuhn()];
