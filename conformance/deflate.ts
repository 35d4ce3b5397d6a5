import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  deflateRawSync,
  type InflateRaw,
  inflateRawSync,
} from 'node:zlib';

// permessage-deflate (RFC 7692) from the client's side: checking the server's answer to an
// offer, and compressing / inflating messages with the agreed parameters using node:zlib.

// --- Sec-WebSocket-Extensions -------------------------------------------------------------------

export interface Extension {
  readonly name: string;
  /** In order; `true` for a parameter without a value. Quoted values are unquoted (RFC 6455 §9.1). */
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

/** Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1); undefined when malformed. */
export function parseExtensions(value: string): Extension[] | undefined {
  const extensions: Extension[] = [];
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const [name = '', ...rest] = item.split(';').map((part) => part.trim());
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return undefined;
    const params: [string, string | true][] = [];
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq === -1) {
        params.push([part, true]);
        continue;
      }
      let paramValue = part.slice(eq + 1).trim();
      if (paramValue.startsWith('"') && paramValue.endsWith('"') && paramValue.length >= 2) {
        paramValue = paramValue.slice(1, -1);
      }
      params.push([part.slice(0, eq).trim(), paramValue]);
    }
    extensions.push({ name, params });
  }
  return extensions;
}

/** What both sides agreed, from the client's point of view. */
export interface DeflateAgreement {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number | undefined;
  /** `true` when present without a value. */
  readonly clientMaxWindowBits: number | true | undefined;
}

const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

/** RFC 7692 §7.1: known parameters, each at most once, window bits 8-15. A string says what is wrong. */
function readParams(extension: Extension): DeflateParams | string {
  const seen = new Set<string>();
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverMaxWindowBits: number | undefined;
  let clientMaxWindowBits: number | true | undefined;
  for (const [name, value] of extension.params) {
    if (seen.has(name)) return `parameter ${name} appears twice`;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return `${name} has a value`;
      if (name === 'server_no_context_takeover') serverNoContextTakeover = true;
      else clientNoContextTakeover = true;
    } else if (name === 'server_max_window_bits' || name === 'client_max_window_bits') {
      if (value === true) {
        if (name === 'server_max_window_bits') return 'server_max_window_bits without a value';
        clientMaxWindowBits = true;
      } else {
        if (!WINDOW_BITS.test(value)) {
          return `${name}=${value} is not an integer from 8 to 15 without leading zeros (RFC 7692 §7.1.2)`;
        }
        if (name === 'server_max_window_bits') serverMaxWindowBits = Number(value);
        else clientMaxWindowBits = Number(value);
      }
    } else {
      return `unknown parameter ${name}`;
    }
  }
  return {
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  };
}

/** Why `response` cannot answer `offer` (RFC 7692 §7.1.1, §7.1.2), or undefined when it can. */
function mismatch(offer: DeflateParams, response: DeflateParams): string | undefined {
  // §7.1.1.1: accepting an offer with server_no_context_takeover means echoing it.
  if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) {
    return 'the offer has server_no_context_takeover but the answer does not (RFC 7692 §7.1.1.1)';
  }
  // §7.1.2.1: the answer's server_max_window_bits is no larger than the offer's.
  if (offer.serverMaxWindowBits !== undefined) {
    if (response.serverMaxWindowBits === undefined) {
      return 'the offer has server_max_window_bits but the answer does not (RFC 7692 §7.1.2.1)';
    }
    if (response.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return `server_max_window_bits=${response.serverMaxWindowBits} exceeds the offered ${offer.serverMaxWindowBits} (RFC 7692 §7.1.2.1)`;
    }
  }
  // §7.1.2.2: client_max_window_bits only when offered, with a value, no larger than the offer's.
  if (response.clientMaxWindowBits !== undefined) {
    if (offer.clientMaxWindowBits === undefined) {
      return 'client_max_window_bits in the answer was not offered (RFC 7692 §7.1.2.2)';
    }
    if (response.clientMaxWindowBits === true) {
      return 'client_max_window_bits in the answer has no value (RFC 7692 §7.1.2.2)';
    }
    if (
      offer.clientMaxWindowBits !== true &&
      response.clientMaxWindowBits > offer.clientMaxWindowBits
    ) {
      return `client_max_window_bits=${response.clientMaxWindowBits} exceeds the offered ${offer.clientMaxWindowBits} (RFC 7692 §7.1.2.2)`;
    }
  }
  return undefined;
}

export type NegotiationOutcome =
  | { readonly accepted: true; readonly agreement: DeflateAgreement }
  | { readonly accepted: false; readonly error?: string | undefined };

/**
 * Checks the server's Sec-WebSocket-Extensions answer against what the client offered. The
 * agreement honours the strictest of the offers the answer fits, so the client never relies on
 * a liberty the server may not have granted.
 */
export function checkDeflateAnswer(
  offerHeader: string | undefined,
  answerHeader: string | undefined,
): NegotiationOutcome {
  if (answerHeader === undefined || answerHeader.trim() === '') return { accepted: false };
  const answers = parseExtensions(answerHeader);
  if (answers === undefined) {
    return { accepted: false, error: `malformed Sec-WebSocket-Extensions: ${answerHeader}` };
  }
  const offers = offerHeader === undefined ? [] : (parseExtensions(offerHeader) ?? []);
  const offeredNames = new Set(offers.map((offer) => offer.name));
  for (const answer of answers) {
    if (!offeredNames.has(answer.name)) {
      return {
        accepted: false,
        error: `the server answered extension ${answer.name}, which was not offered (RFC 6455 §9.1)`,
      };
    }
  }
  const deflates = answers.filter((answer) => answer.name === 'permessage-deflate');
  if (deflates.length === 0) return { accepted: false };
  if (deflates.length > 1) {
    return {
      accepted: false,
      error:
        'permessage-deflate answered more than once; only one offer can be accepted (RFC 7692 §5)',
    };
  }
  const response = readParams(deflates[0] as Extension);
  if (typeof response === 'string') {
    return { accepted: false, error: `invalid permessage-deflate answer: ${response}` };
  }
  const candidates: DeflateParams[] = [];
  let firstMismatch: string | undefined;
  let firstInvalid: string | undefined;
  for (const offer of offers) {
    if (offer.name !== 'permessage-deflate') continue;
    const params = readParams(offer);
    if (typeof params === 'string') {
      // RFC 7692 §7: an invalid offer must be declined, so the answer cannot be to it.
      firstInvalid ??= params;
      continue;
    }
    const why = mismatch(params, response);
    if (why === undefined) candidates.push(params);
    else firstMismatch ??= why;
  }
  if (candidates.length === 0) {
    return {
      accepted: false,
      error:
        firstMismatch === undefined
          ? `permessage-deflate was accepted though every offer is invalid (${firstInvalid ?? 'none was made'}); it must be declined (RFC 7692 §7)`
          : `the permessage-deflate answer fits none of the valid offers: ${firstMismatch}`,
    };
  }
  let clientBits =
    typeof response.clientMaxWindowBits === 'number' ? response.clientMaxWindowBits : 15;
  for (const offer of candidates) {
    // RFC 7692 §7.1.2.2: an offered value is the client's own promise.
    if (typeof offer.clientMaxWindowBits === 'number') {
      clientBits = Math.min(clientBits, offer.clientMaxWindowBits);
    }
  }
  return {
    accepted: true,
    agreement: {
      serverNoContextTakeover: response.serverNoContextTakeover,
      // RFC 7692 §7.1.1.2: an offered client_no_context_takeover is only a hint; the answer's is
      // binding. Autobahn's client keeps its compression context unless the answer has it, so a
      // server that relies on the hint without answering it fails there: this client does the same.
      clientNoContextTakeover: response.clientNoContextTakeover,
      serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
      clientMaxWindowBits: clientBits,
    },
  };
}

// --- compression --------------------------------------------------------------------------------

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Runs a persistent zlib stream one message at a time, flushing with Z_SYNC_FLUSH. */
class FlushedStream {
  private chunks: Buffer[] = [];
  private failure: Error | undefined;
  private pending: ((error: Error) => void) | undefined;

  constructor(private readonly stream: DeflateRaw | InflateRaw) {
    stream.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    stream.on('error', (error: Error) => {
      this.failure = error;
      this.pending?.(error);
    });
  }

  run(input: Uint8Array): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = reject;
      if (input.length > 0) this.stream.write(input);
      this.stream.flush(constants.Z_SYNC_FLUSH, () => {
        this.pending = undefined;
        if (this.failure !== undefined) {
          reject(this.failure);
          return;
        }
        const output = Buffer.concat(this.chunks);
        this.chunks = [];
        resolve(output);
      });
    });
  }

  close(): void {
    this.stream.close();
  }
}

/** zlib cannot make raw DEFLATE with a 256-byte window; at 9 bits it never reaches back more than 250 bytes. */
function deflateBits(bits: number): number {
  return Math.max(9, bits);
}

/**
 * The client's half of permessage-deflate. Context takeover (RFC 7692 §7.2.3) uses one persistent
 * zlib stream per direction; without it, every message is compressed or inflated on its own.
 * Inflating uses the server's agreed window, so zlib itself refuses distances beyond it into
 * earlier messages; `largestDistance` checks the ones inside a message.
 */
export class ClientDeflate {
  private readonly deflater: FlushedStream | undefined;
  private readonly inflater: FlushedStream | undefined;

  constructor(readonly agreement: DeflateAgreement) {
    if (!agreement.clientNoContextTakeover) {
      this.deflater = new FlushedStream(
        createDeflateRaw({ windowBits: deflateBits(agreement.clientMaxWindowBits) }),
      );
    }
    if (!agreement.serverNoContextTakeover) {
      this.inflater = new FlushedStream(
        createInflateRaw({ windowBits: agreement.serverMaxWindowBits }),
      );
    }
  }

  /** RFC 7692 §7.2.1: compress, flush, and drop the trailing 00 00 ff ff. */
  async compress(message: Uint8Array): Promise<Buffer> {
    const output =
      this.deflater === undefined
        ? deflateRawSync(message, {
            windowBits: deflateBits(this.agreement.clientMaxWindowBits),
            finishFlush: constants.Z_SYNC_FLUSH,
          })
        : await this.deflater.run(message);
    return output.length >= 4 && output.subarray(-4).equals(TAIL)
      ? output.subarray(0, output.length - 4)
      : output;
  }

  /** RFC 7692 §7.2.2: append 00 00 ff ff and inflate. */
  async decompress(payload: Uint8Array): Promise<Buffer> {
    const input = Buffer.concat([payload, TAIL]);
    if (this.inflater !== undefined) return this.inflater.run(input);
    return inflateRawSync(input, {
      windowBits: this.agreement.serverMaxWindowBits,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
  }

  close(): void {
    this.deflater?.close();
    this.inflater?.close();
  }
}

// --- window check -------------------------------------------------------------------------------

/** Extra bits of length symbols 257-285; the lengths themselves do not matter here. */
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class EndOfInput extends Error {}

interface Huffman {
  readonly count: Uint16Array;
  readonly symbol: Uint16Array;
}

function huffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(16);
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) count[lengths[s] as number] = (count[lengths[s] as number] ?? 0) + 1;
  const offsets = new Uint16Array(16);
  for (let len = 1; len < 15; len++) {
    offsets[len + 1] = (offsets[len] as number) + (count[len] as number);
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s] as number;
    if (len !== 0) {
      symbol[offsets[len] as number] = s;
      offsets[len] = (offsets[len] as number) + 1;
    }
  }
  return { count, symbol };
}

/**
 * The largest back-reference distance in raw DEFLATE data (RFC 1951 §3.2.5), read without
 * inflating. A server that agreed to `server_max_window_bits=N` must keep every distance within
 * 2^N (RFC 7692 §7.1.2.1). Ends at the end of the input (a flushed message has no final block).
 */
export function largestDistance(data: Uint8Array): number {
  let position = 0;
  let bitBuffer = 0;
  let bitCount = 0;
  const bits = (need: number): number => {
    while (bitCount < need) {
      if (position >= data.length) throw new EndOfInput();
      bitBuffer |= (data[position++] as number) << bitCount;
      bitCount += 8;
    }
    const value = bitBuffer & ((1 << need) - 1);
    bitBuffer >>>= need;
    bitCount -= need;
    return value;
  };
  const decode = (h: Huffman): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= 15; len++) {
      code |= bits(1);
      const count = h.count[len] as number;
      if (code - count < first) return h.symbol[index + (code - first)] as number;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error('invalid Huffman code');
  };
  const fixedLengths = new Uint8Array(288);
  fixedLengths.fill(8, 0, 144);
  fixedLengths.fill(9, 144, 256);
  fixedLengths.fill(7, 256, 280);
  fixedLengths.fill(8, 280, 288);
  const fixedLength = huffman(fixedLengths, 288);
  const fixedDistance = huffman(new Uint8Array(30).fill(5), 30);
  let largest = 0;
  try {
    for (;;) {
      const final = bits(1);
      const type = bits(2);
      if (type === 0) {
        bitBuffer = 0;
        bitCount = 0;
        if (position + 4 > data.length) throw new EndOfInput();
        const length = (data[position] as number) | ((data[position + 1] as number) << 8);
        const complement = (data[position + 2] as number) | ((data[position + 3] as number) << 8);
        if ((length ^ 0xffff) !== complement) throw new Error('stored block length mismatch');
        position += 4 + length;
      } else if (type === 1 || type === 2) {
        let lengthCode = fixedLength;
        let distanceCode = fixedDistance;
        if (type === 2) {
          const nlen = bits(5) + 257;
          const ndist = bits(5) + 1;
          const ncode = bits(4) + 4;
          const lengths = new Uint8Array(320);
          for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i] as number] = bits(3);
          const codeLengthCode = huffman(lengths, 19);
          lengths.fill(0);
          let index = 0;
          while (index < nlen + ndist) {
            const symbol = decode(codeLengthCode);
            if (symbol < 16) {
              lengths[index++] = symbol;
            } else {
              let repeat: number;
              let value = 0;
              if (symbol === 16) {
                if (index === 0) throw new Error('repeat with no previous length');
                value = lengths[index - 1] as number;
                repeat = 3 + bits(2);
              } else if (symbol === 17) {
                repeat = 3 + bits(3);
              } else {
                repeat = 11 + bits(7);
              }
              if (index + repeat > nlen + ndist) throw new Error('too many code lengths');
              while (repeat-- > 0) lengths[index++] = value;
            }
          }
          lengthCode = huffman(lengths.subarray(0, nlen), nlen);
          distanceCode = huffman(lengths.subarray(nlen, nlen + ndist), ndist);
        }
        for (;;) {
          const symbol = decode(lengthCode);
          if (symbol < 256) continue;
          if (symbol === 256) break;
          const lengthIndex = symbol - 257;
          if (lengthIndex >= 29) throw new Error('invalid length symbol');
          bits(LENGTH_EXTRA[lengthIndex] as number);
          const distanceSymbol = decode(distanceCode);
          if (distanceSymbol >= 30) throw new Error('invalid distance symbol');
          const distance =
            (DISTANCE_BASE[distanceSymbol] as number) +
            bits(DISTANCE_EXTRA[distanceSymbol] as number);
          if (distance > largest) largest = distance;
        }
      } else {
        throw new Error('invalid block type 3');
      }
      if (final) break;
    }
  } catch (error) {
    if (!(error instanceof EndOfInput)) throw error;
  }
  return largest;
}
