import type { ConformanceCase, FrameSpec } from '../types.js';
import {
  binary,
  CLEAN,
  close,
  closePayload,
  continuation,
  defineCase,
  echoBinary,
  echoText,
  fail,
  framewise,
  octetwise,
  ping,
  pong,
  pongFrame,
  script,
  send,
  text,
  wait,
} from './helpers.js';

// 5.x Fragmentation (RFC 6455 §5.4): control frames are never fragmented, may be injected
// between fragments and must be answered at once; continuation frames only continue a message
// in progress, and a new data frame may not start while one is.

const twoFragments = (): FrameSpec[] => [
  text('fragment1', { fin: false }),
  continuation('fragment2'),
];
const withPing = (): FrameSpec[] => [
  text('fragment1', { fin: false }),
  ping('ping payload'),
  continuation('fragment2'),
];
/** A continuation frame with nothing to continue, then a valid unfragmented text message. */
const strayContinuation = (fin: boolean): FrameSpec[] => [
  continuation('non-continuation payload', { fin }),
  text('Hello, world!'),
];

/** Autobahn 5.19/5.20: 5 fragments, pings after the 2nd and 4th, with pauses. */
function fiveFragments(framewisePauseMs: number | undefined) {
  const frames = {
    f1: text('fragment1', { fin: false }),
    f2: continuation('fragment2', { fin: false }),
    p1: ping('pongme 1!'),
    f3: continuation('fragment3', { fin: false }),
    f4: continuation('fragment4', { fin: false }),
    p2: ping('pongme 2!'),
    f5: continuation('fragment5'),
  };
  const steps =
    framewisePauseMs === undefined
      ? [
          send(frames.f1, frames.f2, frames.p1),
          wait(200),
          send(frames.f3, frames.f4, frames.p2, frames.f5),
        ]
      : [
          framewise(framewisePauseMs, frames.f1, frames.f2, frames.p1),
          wait(200),
          framewise(framewisePauseMs, frames.f3, frames.f4, frames.p2, frames.f5),
        ];
  return script(
    steps,
    [
      pong('pongme 1!'),
      pong('pongme 2!'),
      echoText('fragment1fragment2fragment3fragment4fragment5'),
    ],
    CLEAN,
  );
}

export const fragmentationCases: ConformanceCase[] = [
  defineCase(
    '5',
    '5.1',
    'Send a ping in 2 fragments; the connection is failed with 1002 (RFC 6455 §5.5).',
    () => script([send(ping('fragment1', { fin: false }), continuation('fragment2'))], [], fail()),
  ),
  defineCase('5', '5.2', 'Send a pong in 2 fragments; the connection is failed with 1002.', () =>
    script([send(pongFrame('fragment1', { fin: false }), continuation('fragment2'))], [], fail()),
  ),
  defineCase('5', '5.3', 'Send a text message in 2 fragments; it is echoed whole.', () =>
    script([send(...twoFragments())], [echoText('fragment1fragment2')], CLEAN),
  ),
  defineCase('5', '5.4', 'As 5.3, in frame-wise chops.', () =>
    script([framewise(10, ...twoFragments())], [echoText('fragment1fragment2')], CLEAN),
  ),
  defineCase('5', '5.5', 'As 5.3, in octet-wise chops.', () =>
    script([octetwise(...twoFragments())], [echoText('fragment1fragment2')], CLEAN),
  ),
  defineCase(
    '5',
    '5.6',
    'Send a text message in 2 fragments with a ping between; the pong comes first, then the echo.',
    () =>
      script([send(...withPing())], [pong('ping payload'), echoText('fragment1fragment2')], CLEAN),
  ),
  defineCase('5', '5.7', 'As 5.6, in frame-wise chops.', () =>
    script(
      [framewise(10, ...withPing())],
      [pong('ping payload'), echoText('fragment1fragment2')],
      CLEAN,
    ),
  ),
  defineCase('5', '5.8', 'As 5.6, in octet-wise chops.', () =>
    script(
      [octetwise(...withPing())],
      [pong('ping payload'), echoText('fragment1fragment2')],
      CLEAN,
    ),
  ),
  defineCase(
    '5',
    '5.9',
    'Send a continuation frame (FIN set) with nothing to continue, then a text message; the connection is failed, nothing is echoed.',
    () => script([send(...strayContinuation(true))], [], fail()),
  ),
  defineCase('5', '5.10', 'As 5.9, in frame-wise chops.', () =>
    script([framewise(10, ...strayContinuation(true))], [], fail()),
  ),
  defineCase('5', '5.11', 'As 5.9, in octet-wise chops.', () =>
    script([octetwise(...strayContinuation(true))], [], fail()),
  ),
  defineCase(
    '5',
    '5.12',
    'Send a continuation frame (FIN clear) with nothing to continue, then a text message; the connection is failed.',
    () => script([send(...strayContinuation(false))], [], fail()),
  ),
  defineCase('5', '5.13', 'As 5.12, in frame-wise chops.', () =>
    script([framewise(10, ...strayContinuation(false))], [], fail()),
  ),
  defineCase('5', '5.14', 'As 5.12, in octet-wise chops.', () =>
    script([octetwise(...strayContinuation(false))], [], fail()),
  ),
  defineCase(
    '5',
    '5.15',
    'Send a text message in 2 fragments, a continuation (FIN clear) with nothing to continue, then a text message; the first text is echoed, then failed.',
    () =>
      script(
        [
          send(
            text('fragment1', { fin: false }),
            continuation('fragment2'),
            continuation('fragment3', { fin: false }),
            text('fragment4'),
          ),
        ],
        [echoText('fragment1fragment2')],
        fail(),
      ),
  ),
  defineCase(
    '5',
    '5.16',
    'Send twice: a continuation (FIN clear) with nothing to continue, then a text message in 2 fragments; the connection is failed.',
    () => {
      const round = [
        continuation('fragment1', { fin: false }),
        text('fragment2', { fin: false }),
        continuation('fragment3'),
      ];
      return script([send(...round, ...round)], [], fail());
    },
  ),
  defineCase(
    '5',
    '5.17',
    'Send twice: a continuation (FIN set) with nothing to continue, then a text message in 2 fragments; the connection is failed.',
    () => {
      const round = [
        continuation('fragment1'),
        text('fragment2', { fin: false }),
        continuation('fragment3'),
      ];
      return script([send(...round, ...round)], [], fail());
    },
  ),
  defineCase(
    '5',
    '5.18',
    'Send a text message in 2 fragments that both carry the text opcode; the connection is failed.',
    () => script([send(text('fragment1', { fin: false }), text('fragment2'))], [], fail()),
  ),
  defineCase(
    '5',
    '5.19',
    'Send a text message in 5 fragments with a ping after the 2nd and the 4th and a pause; pongs come at once, then the echo.',
    () => fiveFragments(undefined),
  ),
  defineCase('5', '5.20', 'As 5.19, in frame-wise chops.', () => fiveFragments(10)),
  defineCase(
    '5',
    '5.21',
    'Send a binary message in 100 fragments of 1 byte; it is echoed whole.',
    () => {
      const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff));
      const frames = Array.from(payload, (byte, i) =>
        i === 0
          ? binary(Buffer.from([byte]), { fin: false })
          : continuation(Buffer.from([byte]), { fin: i === payload.length - 1 }),
      );
      return script([send(...frames)], [echoBinary(payload)], CLEAN);
    },
  ),
  defineCase(
    '5',
    '5.22',
    'Send a text message as an empty first fragment, 10 empty continuations and a last "x"; "x" is echoed.',
    () =>
      script(
        [
          send(
            text('', { fin: false }),
            ...Array.from({ length: 10 }, () => continuation('', { fin: false })),
            continuation('x'),
          ),
        ],
        [echoText('x')],
        CLEAN,
      ),
  ),
  defineCase(
    '5',
    '5.23',
    'Send a fragmented binary message, then an unfragmented text message; both are echoed in order.',
    () =>
      script(
        [
          send(
            binary(Buffer.from([1, 2]), { fin: false }),
            continuation(Buffer.from([3, 4])),
            text('after'),
          ),
        ],
        [echoBinary(Buffer.from([1, 2, 3, 4])), echoText('after')],
        CLEAN,
      ),
  ),
  defineCase(
    '5',
    '5.24',
    'Send a binary fragment, then a new binary frame before the message is finished; the connection is failed.',
    () =>
      script(
        [send(binary(Buffer.from([1]), { fin: false }), binary(Buffer.from([2])))],
        [],
        fail(),
      ),
  ),
  defineCase(
    '5',
    '5.25',
    'Send a close frame with FIN clear; the connection is failed with 1002 (RFC 6455 §5.5).',
    () => script([send(close(closePayload(1000), { fin: false }))], [], fail()),
  ),
  defineCase(
    '5',
    '5.26',
    'Send a text fragment, 10 pings, then the last fragment; 10 pongs come back, then the echo.',
    () => {
      const pings = Array.from({ length: 10 }, (_, i) => `ping ${i}`);
      return script(
        [
          send(
            text('fragment1', { fin: false }),
            ...pings.map((p) => ping(p)),
            continuation('fragment2'),
          ),
        ],
        [...pings.map((p) => pong(p)), echoText('fragment1fragment2')],
        CLEAN,
      );
    },
  ),
  defineCase(
    '5',
    '5.27',
    'Send a text message of 5 empty fragments and a ping, in octet-wise chops; the pong and an empty echo come back.',
    () =>
      script(
        [
          octetwise(
            text('', { fin: false }),
            continuation('', { fin: false }),
            ping(),
            continuation('', { fin: false }),
            continuation('', { fin: false }),
            continuation(''),
          ),
        ],
        [pong(), echoText('')],
        CLEAN,
      ),
  ),
];
