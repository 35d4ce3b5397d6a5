import type { ConformanceCase } from '../types.js';
import { NO_STATUS } from '../types.js';
import {
  answer,
  CLEAN,
  close,
  closePayload,
  continuation,
  defineCase,
  echoText,
  fail,
  hex,
  octetwise,
  ping,
  pong,
  script,
  send,
  text,
} from './helpers.js';

// 7.x Close handling (RFC 6455 §5.5.1, §7.1, §7.4): a close is answered with a close (echoing
// the code is typical, 1000 is accepted as Autobahn does), nothing is processed after it, and an
// invalid close payload (1 byte, a code that may not be sent, a reason that is not UTF-8, more
// than 125 bytes) fails the connection.

// Autobahn's codes come first, so that 7.7.n, 7.9.n and 7.13.n send the same code as there; our
// additions follow (1012-1014 are registered with IANA since, 1015 may never be sent).
const VALID_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012, 1013, 1014,
];
const INVALID_CODES = [
  0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015, 1, 2, 100, 255, 256, 500, 512, 998, 1017,
  1050, 1999, 2500,
];
const BEYOND_CODES = [5000, 65_535, 5001, 10_000, 32_768, 65_534];

const invalidUtf8Reason = hex('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64');

export const closingCases: ConformanceCase[] = [
  defineCase(
    '7',
    '7.1.1',
    'Send a text message, then close normally; the text is echoed and the close answered with 1000.',
    () => script([send(text('Hello World!'))], [echoText('Hello World!')], CLEAN),
  ),
  defineCase('7', '7.1.2', 'Send a close, then a second close; the second is ignored.', () =>
    script([send(close(closePayload(1000)), close(closePayload(1000)))], [], answer(1000)),
  ),
  defineCase('7', '7.1.3', 'Send a close, then a ping; the ping is not answered.', () =>
    script([send(close(closePayload(1000)), ping())], [], answer(1000)),
  ),
  defineCase('7', '7.1.4', 'Send a close, then a text message; the text is not echoed.', () =>
    script([send(close(closePayload(1000)), text('Hello World!'))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.1.5',
    'Send a text fragment, a close, then the last fragment; nothing is echoed, the close answered.',
    () =>
      script(
        [
          send(
            text('fragment1', { fin: false }),
            close(closePayload(1000)),
            continuation('fragment2'),
          ),
        ],
        [],
        answer(1000),
      ),
  ),
  defineCase(
    '7',
    '7.1.6',
    'Send a 256 KiB text message, a small one, a close and a ping in one write; both texts are echoed, the close answered, no pong.',
    () => {
      // Autobahn reports this case as INFORMATIONAL (whether the echoes come is up to the
      // server); RFC 6455 §5.5.1 lets data sent before the close frame be processed, which is
      // what we require.
      const payload = Buffer.from('BAsd7&jh23'.repeat(26_215)).subarray(0, 256 * 1024);
      return script(
        [send(text(payload), text('Hello World!'), close(closePayload(1000)), ping())],
        [echoText(payload), echoText('Hello World!')],
        answer(1000),
      );
    },
  ),
  defineCase(
    '7',
    '7.3.1',
    'Send a close without payload; it is answered (without a code, or 1000).',
    () => script([send(close())], [], answer(NO_STATUS, 1000)),
  ),
  defineCase(
    '7',
    '7.3.2',
    'Send a close with a 1-byte payload; the connection is failed with 1002.',
    () => script([send(close(hex('03')))], [], fail()),
  ),
  defineCase(
    '7',
    '7.3.3',
    'Send a close with code 1000 and no reason; it is answered with 1000.',
    () => script([send(close(closePayload(1000)))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.3.4',
    'Send a close with code 1000 and a reason; it is answered with 1000.',
    () => script([send(close(closePayload(1000, 'Hello World!')))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.3.5',
    'Send a close with code 1000 and a 123-byte reason (the maximum); it is answered with 1000.',
    () => script([send(close(closePayload(1000, '*'.repeat(123))))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.3.6',
    'Send a close with code 1000 and a 124-byte reason (126-byte payload); failed with 1002.',
    () => script([send(close(closePayload(1000, '*'.repeat(124))))], [], fail()),
  ),
  defineCase(
    '7',
    '7.5.1',
    'Send a close whose reason is not UTF-8; the connection is failed with 1007.',
    () => script([send(close(closePayload(1000, invalidUtf8Reason)))], [], fail([1007])),
  ),
  ...VALID_CODES.map((code, i) =>
    defineCase(
      '7',
      `7.7.${i + 1}`,
      `Send a close with valid code ${code}; it is answered with ${code} or 1000.`,
      () => script([send(close(closePayload(code)))], [], answer(code, 1000)),
    ),
  ),
  ...INVALID_CODES.map((code, i) =>
    defineCase(
      '7',
      `7.9.${i + 1}`,
      `Send a close with code ${code}, which may not be sent; failed with 1002 (RFC 6455 §7.4).`,
      () => script([send(close(closePayload(code)))], [], fail()),
    ),
  ),
  ...BEYOND_CODES.map((code, i) =>
    defineCase(
      '7',
      `7.13.${i + 1}`,
      `Send a close with code ${code}, beyond 4999; failed with 1002 (RFC 6455 §7.4.2).`,
      () => script([send(close(closePayload(code)))], [], fail()),
    ),
  ),
  defineCase(
    '7',
    '7.15.1',
    'Send a close with code 1000 in octet-wise chops; it is answered with 1000.',
    () => script([octetwise(close(closePayload(1000, 'chopped reason')))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.15.2',
    'Send a close whose 123-byte reason ends with a 4-byte character; it is answered with 1000.',
    () => script([send(close(closePayload(1000, `${'r'.repeat(119)}😀`)))], [], answer(1000)),
  ),
  defineCase(
    '7',
    '7.15.3',
    'Send a close whose reason ends inside a UTF-8 sequence; failed with 1007.',
    () => script([send(close(closePayload(1000, hex('61 62 ce'))))], [], fail([1007])),
  ),
  defineCase(
    '7',
    '7.15.4',
    'Send a ping and a close in one write; the pong comes, then the close answer.',
    () =>
      script(
        [send(ping('before close'), close(closePayload(1000)))],
        [pong('before close')],
        answer(1000),
      ),
  ),
  defineCase(
    '7',
    '7.15.5',
    'Send a close with code 3000 and a reason; it is answered with 3000 or 1000.',
    () => script([send(close(closePayload(3000, 'application reason')))], [], answer(3000, 1000)),
  ),
];
