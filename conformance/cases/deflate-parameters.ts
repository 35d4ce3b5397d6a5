import type { ConformanceCase, MessageType } from '../types.js';
import {
  compressedRoundtrips,
  corpusMessage,
  roundtripTimeoutMs,
  SIZE_VARIANTS,
  sizeText,
} from './compression.js';
import { pdfCorpus, proseCorpus } from './corpora.js';
import { CLEAN, defineCase, script } from './helpers.js';

// 13.x permessage-deflate with different offers (RFC 7692 §7.1): context takeover and window
// sizes in both directions, several offers in one header, and offers a server must decline.
// The answer is checked against the offer, then compressed messages (text and binary in turn)
// must round-trip with the agreed parameters: the client inflates with the server's agreed
// window and checks every back-reference distance against it.

/** Even messages are text (prose), odd ones binary (PDF-like). */
function mixedMessage(size: number, index: number): { type: MessageType; payload: Buffer } {
  const type: MessageType = index % 2 === 0 ? 'text' : 'binary';
  return {
    type,
    payload: corpusMessage(type === 'text' ? proseCorpus() : pdfCorpus(), type, size, index),
  };
}

function offerGroup(
  group: string,
  offer: string,
  variants: readonly (readonly [number, number])[] = SIZE_VARIANTS,
): ConformanceCase[] {
  return variants.map(([size, fragment], i) =>
    defineCase(
      '13',
      `${group}.${i + 1}`,
      `Offer "${offer}"; send ${sizeText(size, fragment)} (text and binary in turn); each is echoed.`,
      (context) =>
        script(
          [compressedRoundtrips(size, fragment, (index) => mixedMessage(size, index), context)],
          [],
          CLEAN,
          'accepted',
        ),
      { offer, timeoutMs: roundtripTimeoutMs },
    ),
  );
}

const CMWB = 'client_max_window_bits';
/** What Autobahn's client offers before the server parameters: its hint and an open window. */
const CLIENT = `permessage-deflate; client_no_context_takeover; ${CMWB}`;

/**
 * Autobahn's 13.1-13.7, word for word: (server_no_context_takeover, server_max_window_bits)
 * requests after the client's own parameters. A server that declines one of them is reported
 * UNIMPLEMENTED there; so the window of 8 bits in 13.3 and 13.5 must be accepted as offered
 * (RFC 7692 §7.1.2.1 allows no larger answer).
 */
const autobahnOffers = [
  CLIENT,
  `${CLIENT}; server_no_context_takeover`,
  `${CLIENT}; server_max_window_bits=8`,
  `${CLIENT}; server_max_window_bits=15`,
  `${CLIENT}; server_no_context_takeover; server_max_window_bits=8`,
  `${CLIENT}; server_no_context_takeover; server_max_window_bits=15`,
  `${CLIENT}; server_no_context_takeover; server_max_window_bits=8, ${CLIENT}; server_no_context_takeover, ${CLIENT}`,
];

const FEW: readonly (readonly [number, number])[] = [
  [1024, 0],
  [16_384, 0],
  [131_072, 4096],
];
const TWO: readonly (readonly [number, number])[] = [
  [4096, 0],
  [65_536, 1024],
];

function flattened(
  group: string,
  offers: readonly string[],
  variants: readonly (readonly [number, number])[],
) {
  const cases: ConformanceCase[] = [];
  for (const offer of offers) {
    for (const variant of variants) {
      cases.push(
        ...offerGroup(group, offer, [variant]).map((c) => ({
          ...c,
          id: `${group}.${cases.length + 1}`,
        })),
      );
    }
  }
  return cases;
}

/** Offers the server must decline (RFC 7692 §7: unknown, invalid or repeated parameters) or accept in part; 3 roundtrips each. */
const negotiation: readonly (readonly [string, 'accepted' | 'declined', string])[] = [
  ['permessage-deflate; foo', 'declined', 'an unknown parameter'],
  ['permessage-deflate; server_max_window_bits=16', 'declined', 'server_max_window_bits above 15'],
  ['permessage-deflate; server_max_window_bits=7', 'declined', 'server_max_window_bits below 8'],
  [
    'permessage-deflate; server_max_window_bits',
    'declined',
    'server_max_window_bits without a value',
  ],
  ['permessage-deflate; client_max_window_bits=16', 'declined', 'client_max_window_bits above 15'],
  ['permessage-deflate; client_max_window_bits=7', 'declined', 'client_max_window_bits below 8'],
  [
    'permessage-deflate; server_max_window_bits=09',
    'declined',
    'a window with a leading zero (RFC 7692 §7.1.2.1)',
  ],
  [
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'declined',
    'a repeated parameter',
  ],
  [
    'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
    'declined',
    'a repeated parameter with a value',
  ],
  [
    'permessage-deflate; server_no_context_takeover=1',
    'declined',
    'a value on a parameter that has none',
  ],
  ['x-webkit-deflate-frame', 'declined', 'only an unknown extension'],
  [
    'permessage-deflate; foo, permessage-deflate',
    'accepted',
    'an invalid offer followed by a valid one',
  ],
  [
    'permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=10',
    'accepted',
    'an invalid window, then a valid one to honour',
  ],
  ['permessage-deflate; server_max_window_bits="10"', 'accepted', 'a quoted value (RFC 6455 §9.1)'],
  [
    'x-unknown-extension, permessage-deflate',
    'accepted',
    'an unknown extension before a valid offer',
  ],
  [
    'permessage-deflate; client_no_context_takeover; server_max_window_bits=9, permessage-deflate',
    'accepted',
    'two valid offers',
  ],
];

function negotiationCases(): ConformanceCase[] {
  return negotiation.map(([offer, outcome, what], i) =>
    defineCase(
      '13',
      `13.11.${i + 1}`,
      `Offer "${offer}" (${what}): ${outcome}; then 3 messages of 4 KiB round-trip${outcome === 'accepted' ? ' compressed' : ' uncompressed'}.`,
      () =>
        script(
          [
            {
              kind: 'roundtrips',
              count: 3,
              make: (index) => ({ ...mixedMessage(4096, index), compress: true }),
            },
          ],
          [],
          CLEAN,
          outcome,
        ),
      { offer },
    ),
  );
}

export const deflateParameterCases: ConformanceCase[] = [
  ...autobahnOffers.flatMap((offer, i) => offerGroup(`13.${i + 1}`, offer)),
  ...flattened(
    '13.8',
    [9, 10, 11, 12, 13, 14].map((bits) => `permessage-deflate; server_max_window_bits=${bits}`),
    FEW,
  ),
  ...flattened(
    '13.9',
    [8, 9, 10, 11, 12, 13, 14, 15].map(
      (bits) => `permessage-deflate; client_max_window_bits=${bits}`,
    ),
    TWO,
  ),
  ...flattened(
    '13.10',
    [
      'permessage-deflate; client_no_context_takeover',
      `permessage-deflate; client_no_context_takeover; ${CMWB}`,
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits=9; server_max_window_bits=9',
      // The smallest windows both ways, with and without context takeover (zlib cannot make a
      // raw DEFLATE stream with a 256-byte window; the distances are checked on the way back).
      'permessage-deflate; client_max_window_bits=8; server_max_window_bits=8',
      'permessage-deflate; client_no_context_takeover; client_max_window_bits=8',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=8; server_max_window_bits=8',
    ],
    TWO,
  ),
  ...negotiationCases(),
];
