import type { ConformanceCase } from '../types.js';
import {
  continuation,
  defineCase,
  echoText,
  fail,
  frame,
  octetwise,
  ping,
  script,
  send,
  text,
} from './helpers.js';

// 4.x Opcodes (RFC 6455 §5.2, §11.8): 3-7 are reserved data opcodes, 11-15 reserved control
// opcodes. Receiving one without an extension that defines it fails the connection.

const NON_CONTROL = [3, 4, 5, 6, 7] as const;
const CONTROL = [11, 12, 13, 14, 15] as const;

/** Autobahn's five patterns for one group of reserved opcodes. */
function autobahnPatterns(group: '4.1' | '4.2', opcodes: readonly number[]): ConformanceCase[] {
  const [a, b, c, d, e] = opcodes as [number, number, number, number, number];
  return [
    defineCase(
      '4',
      `${group}.1`,
      `Send a frame with reserved opcode ${a}; the connection is failed with 1002.`,
      () => script([send(frame(a))], [], fail()),
    ),
    defineCase(
      '4',
      `${group}.2`,
      `Send a frame with reserved opcode ${b} and a payload; the connection is failed.`,
      () => script([send(frame(b, 'reserved opcode payload'))], [], fail()),
    ),
    defineCase(
      '4',
      `${group}.3`,
      `Send a text message, a frame with reserved opcode ${c}, then a ping; the text is echoed, then the connection is failed.`,
      () =>
        script(
          [send(text('Hello, world!'), frame(c), ping())],
          [echoText('Hello, world!')],
          fail(),
        ),
    ),
    defineCase(
      '4',
      `${group}.4`,
      `Send a text message, a frame with reserved opcode ${d} and a payload, then a ping; the text is echoed, then failed.`,
      () =>
        script(
          [send(text('Hello, world!'), frame(d, 'Hello, world!'), ping())],
          [echoText('Hello, world!')],
          fail(),
        ),
    ),
    defineCase(
      '4',
      `${group}.5`,
      `As ${group}.4 with opcode ${e}, sent in octet-wise chops; the text is echoed, then failed.`,
      () =>
        script(
          [octetwise(text('Hello, world!'), frame(e, 'Hello, world!'), ping())],
          [echoText('Hello, world!')],
          fail(),
        ),
    ),
  ];
}

/** Every reserved opcode in three more positions. */
function gridCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  let n = 0;
  const add = (description: string, build: () => ReturnType<typeof script>) => {
    n++;
    cases.push(defineCase('4', `4.3.${n}`, description, build));
  };
  for (const opcode of [...NON_CONTROL, ...CONTROL]) {
    add(`Send reserved opcode ${opcode} with FIN clear; the connection is failed with 1002.`, () =>
      script([send(frame(opcode, 'x', { fin: false }))], [], fail()),
    );
    add(
      `Send reserved opcode ${opcode} between the fragments of a text message; nothing is echoed and the connection is failed.`,
      () =>
        script(
          [send(text('fragment1', { fin: false }), frame(opcode, 'x'), continuation('fragment2'))],
          [],
          fail(),
        ),
    );
    add(
      `Send reserved opcode ${opcode} with a 200-byte payload (16-bit length); the connection is failed.`,
      () => script([send(frame(opcode, Buffer.alloc(200, 0x61)))], [], fail()),
    );
  }
  return cases;
}

export const opcodeCases: ConformanceCase[] = [
  ...autobahnPatterns('4.1', NON_CONTROL),
  ...autobahnPatterns('4.2', CONTROL),
  ...gridCases(),
];
