import type { ConformanceCase } from '../types.js';
import {
  CLEAN,
  defineCase,
  fail,
  hex,
  octetwise,
  ping,
  pong,
  pongFrame,
  script,
  send,
} from './helpers.js';

// 2.x Pings/Pongs (RFC 6455 §5.5.2, §5.5.3): a ping is answered by a pong with the same payload,
// an unsolicited pong is ignored, control payloads are at most 125 bytes (§5.5).

const tenPayloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);

export const pingCases: ConformanceCase[] = [
  defineCase('2', '2.1', 'Send a ping without payload; a pong without payload comes back.', () =>
    script([send(ping())], [pong()], CLEAN),
  ),
  defineCase('2', '2.2', 'Send a ping with a small text payload; the pong carries it.', () =>
    script([send(ping('Hello, world!'))], [pong('Hello, world!')], CLEAN),
  ),
  defineCase('2', '2.3', 'Send a ping with a small binary payload; the pong carries it.', () =>
    script(
      [send(ping(hex('00 ff fe fd fc fb 00 ff')))],
      [pong(hex('00 ff fe fd fc fb 00 ff'))],
      CLEAN,
    ),
  ),
  defineCase(
    '2',
    '2.4',
    'Send a ping with a 125-byte binary payload (the maximum); the pong carries it.',
    () => script([send(ping(Buffer.alloc(125, 0xfe)))], [pong(Buffer.alloc(125, 0xfe))], CLEAN),
  ),
  defineCase(
    '2',
    '2.5',
    'Send a ping with a 126-byte payload; the connection is failed with 1002 (RFC 6455 §5.5).',
    () => script([send(ping(Buffer.alloc(126, 0xfe)))], [], fail([1002])),
  ),
  defineCase(
    '2',
    '2.6',
    'Send a ping with a 125-byte payload in octet-wise chops; the pong carries it.',
    () =>
      script([octetwise(ping(Buffer.alloc(125, 0xfe)))], [pong(Buffer.alloc(125, 0xfe))], CLEAN),
  ),
  defineCase(
    '2',
    '2.7',
    'Send an unsolicited pong without payload; nothing comes back (RFC 6455 §5.5.3).',
    () => script([send(pongFrame())], [], CLEAN),
  ),
  defineCase('2', '2.8', 'Send an unsolicited pong with payload; nothing comes back.', () =>
    script([send(pongFrame('unsolicited pong payload'))], [], CLEAN),
  ),
  defineCase('2', '2.9', 'Send an unsolicited pong, then a ping; only the ping is answered.', () =>
    script(
      [send(pongFrame('unsolicited pong payload'), ping('ping payload'))],
      [pong('ping payload')],
      CLEAN,
    ),
  ),
  defineCase('2', '2.10', 'Send 10 pings; 10 pongs come back in order with their payloads.', () =>
    script(
      [send(...tenPayloads.map((p) => ping(p)))],
      tenPayloads.map((p) => pong(p)),
      CLEAN,
    ),
  ),
  defineCase('2', '2.11', 'Send 10 pings in octet-wise chops; 10 pongs come back in order.', () =>
    script(
      [octetwise(...tenPayloads.map((p) => ping(p)))],
      tenPayloads.map((p) => pong(p)),
      CLEAN,
    ),
  ),
  defineCase(
    '2',
    '2.12',
    'Send a pong with a 126-byte payload; the connection is failed with 1002 (RFC 6455 §5.5).',
    () => script([send(pongFrame(Buffer.alloc(126, 0x41)))], [], fail([1002])),
  ),
  defineCase(
    '2',
    '2.13',
    'Send a ping whose payload is not UTF-8; the pong carries it unchanged (control payloads are bytes).',
    () =>
      script([send(ping(hex('ff fe c0 af ed a0 80')))], [pong(hex('ff fe c0 af ed a0 80'))], CLEAN),
  ),
];
