import type { ConformanceCase, FrameSpec } from '../types.js';
import {
  binary,
  close,
  closePayload,
  continuation,
  defineCase,
  echoText,
  fail,
  framewise,
  octetwise,
  ping,
  pongFrame,
  script,
  send,
  text,
} from './helpers.js';

// 3.x Reserved bits (RFC 6455 §5.2): without a negotiated extension that defines them, a frame
// with RSV1, RSV2 or RSV3 set fails the connection. No permessage-deflate is offered here.

export const reservedBitCases: ConformanceCase[] = [
  defineCase(
    '3',
    '3.1',
    'Send a small text message with RSV = 1; the connection is failed with 1002.',
    () => script([send(text('Hello, world!', { rsv: 1 }))], [], fail()),
  ),
  defineCase(
    '3',
    '3.2',
    'Send a text message, then one with RSV = 2, then a ping; the first is echoed, then the connection is failed.',
    () =>
      script(
        [send(text('Hello, world!'), text('Hello, world!', { rsv: 2 }), ping())],
        [echoText('Hello, world!')],
        fail(),
      ),
  ),
  defineCase(
    '3',
    '3.3',
    'As 3.2 with RSV = 3, sent in frame-wise chops; the first is echoed, then the connection is failed.',
    () =>
      script(
        [framewise(10, text('Hello, world!'), text('Hello, world!', { rsv: 3 }), ping())],
        [echoText('Hello, world!')],
        fail(),
      ),
  ),
  defineCase(
    '3',
    '3.4',
    'As 3.2 with RSV = 4, sent in octet-wise chops; the first is echoed, then the connection is failed.',
    () =>
      script(
        [octetwise(text('Hello, world!'), text('Hello, world!', { rsv: 4 }), ping())],
        [echoText('Hello, world!')],
        fail(),
      ),
  ),
  defineCase(
    '3',
    '3.5',
    'Send a small binary message with RSV = 5; the connection is failed.',
    () =>
      script(
        [send(binary(Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]), { rsv: 5 }))],
        [],
        fail(),
      ),
  ),
  // Autobahn's 3.6 says "Ping with RSV = 6" but sends a binary frame; so do we. 3.8.27 sends the ping.
  defineCase(
    '3',
    '3.6',
    'Send a small binary message with RSV = 6; the connection is failed with 1002.',
    () => script([send(binary('Hello, world!', { rsv: 6 }))], [], fail()),
  ),
  defineCase(
    '3',
    '3.7',
    'Send a close frame without payload and with RSV = 7; the connection is failed with 1002, not closed normally.',
    () => script([send(close('', { rsv: 7 }))], [], fail()),
  ),
  ...gridCases(),
];

/** Every RSV combination on every kind of frame: 6 kinds × 7 combinations. */
function gridCases(): ConformanceCase[] {
  const kinds: { name: string; frames: (rsv: number) => FrameSpec[] }[] = [
    { name: 'a text frame', frames: (rsv) => [text('reserved bits', { rsv })] },
    { name: 'a binary frame', frames: (rsv) => [binary(Buffer.from([1, 2, 3]), { rsv })] },
    {
      name: 'the continuation frame of a fragmented text message',
      frames: (rsv) => [text('first ', { fin: false }), continuation('second', { rsv })],
    },
    { name: 'a ping', frames: (rsv) => [ping('reserved bits', { rsv })] },
    { name: 'a pong', frames: (rsv) => [pongFrame('reserved bits', { rsv })] },
    { name: 'a close frame', frames: (rsv) => [close(closePayload(1000), { rsv })] },
  ];
  const cases: ConformanceCase[] = [];
  let n = 0;
  for (const kind of kinds) {
    for (let rsv = 1; rsv <= 7; rsv++) {
      n++;
      const bits = [rsv & 4 ? 'RSV1' : '', rsv & 2 ? 'RSV2' : '', rsv & 1 ? 'RSV3' : '']
        .filter(Boolean)
        .join('+');
      cases.push(
        defineCase(
          '3',
          `3.8.${n}`,
          `Send ${kind.name} with ${bits} set and no extension; the connection is failed with 1002.`,
          () => script([send(...kind.frames(rsv))], [], fail()),
        ),
      );
    }
  }
  return cases;
}
