// --- what a case is made of -----------------------------------------------------------------
//
// A case is data: the handshake offer, the bytes the client sends (with their timing), and what
// the server must do in answer, in Autobahn|Testsuite's terms. Payloads are built on demand by
// `script()`, so that listing ~700 cases costs nothing and only one 16 MiB payload is ever live.

/** The categories of Autobahn|Testsuite's fuzzing client that this suite reproduces. */
export const CATEGORIES = {
  '1': 'Framing',
  '2': 'Pings/Pongs',
  '3': 'Reserved Bits',
  '4': 'Opcodes',
  '5': 'Fragmentation',
  '6': 'UTF-8 Handling',
  '7': 'Close Handling',
  '9': 'Limits/Performance',
  '10': 'Auto-Fragmentation',
  '12': 'WebSocket Compression (different payloads)',
  '13': 'WebSocket Compression (different parameters)',
} as const;
export type Category = keyof typeof CATEGORIES;

export type MessageType = 'text' | 'binary';

/** One frame exactly as the client puts it on the wire. */
export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array | string | undefined;
  /** Defaults to true. */
  readonly fin?: boolean | undefined;
  /** RSV bits numbered as Autobahn does: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
  readonly rsv?: number | undefined;
  /** Clients mask every frame (RFC 6455 §5.3); false sends it unmasked. Defaults to true. */
  readonly masked?: boolean | undefined;
  /** A fixed masking key instead of a random one. */
  readonly maskKey?: Uint8Array | undefined;
}

/** Splits the bytes of a step into writes of `bytes` octets, `delayMs` apart (0: next tick). */
export interface Chop {
  readonly bytes: number;
  readonly delayMs: number;
}

/** A whole message, framed by the runner; compressed with the negotiated permessage-deflate. */
export interface MessageSpec {
  readonly type: MessageType;
  readonly payload: Uint8Array;
  /** Compress with the agreed permessage-deflate parameters (RFC 7692 §7.2.1). */
  readonly compress?: boolean | undefined;
  /** Split the (compressed) payload into frames of at most this many octets; 0 sends one frame. */
  readonly fragmentBytes?: number | undefined;
}

export type Step =
  /** Frames written back to back (one write unless chopped). */
  | { readonly kind: 'frames'; readonly frames: readonly FrameSpec[]; readonly chop?: Chop }
  /** Bytes written as they are (hand-made headers). */
  | { readonly kind: 'raw'; readonly bytes: Uint8Array; readonly chop?: Chop }
  /** A message, compressed and fragmented as asked. */
  | { readonly kind: 'message'; readonly message: MessageSpec }
  | { readonly kind: 'wait'; readonly ms: number }
  /**
   * Fail-fast checkpoint: a "fail fast" case expects the server's close to have arrived by now,
   * before the rest of the message is sent. Failing later is NON-STRICT.
   */
  | { readonly kind: 'fail-fast-mark' }
  /**
   * Sends each message and waits for its echo before the next one (Autobahn 9.7, 12.x, 13.x).
   * `make(i)` builds message i, so a thousand messages are never all in memory.
   */
  | {
      readonly kind: 'roundtrips';
      readonly count: number;
      readonly make: (index: number) => MessageSpec;
    };

/** Something the server must send, in order, before its close frame. */
export type Expected =
  | { readonly kind: 'message'; readonly type: MessageType; readonly payload: Uint8Array }
  | { readonly kind: 'pong'; readonly payload: Uint8Array };

/** Stands for "a close frame without a status code" in lists of allowed codes. */
export const NO_STATUS = 1005;

/** How the connection must end. In every case the server must then close TCP (RFC 6455 §5.5.1, §7.1.7). */
export type Ending =
  /**
   * Nothing wrong was sent: once everything expected arrived, the client closes with 1000 and
   * the server must answer with a close frame carrying one of `codes` (RFC 6455 §5.5.1).
   */
  | { readonly kind: 'clean-close'; readonly codes: readonly number[] }
  /**
   * The steps themselves send a valid close frame: the server must answer with one of `codes`
   * (1005 = without code) and send nothing else after it.
   */
  | { readonly kind: 'answer-close'; readonly codes: readonly number[] }
  /**
   * The server must fail the connection (RFC 6455 §7.1.7) with a close frame carrying one of
   * `codes`. `fast`: the close must arrive before the step marked `fail-fast-mark` is passed.
   * `closeFrameOptional`: the RFC only says MAY for the close frame (e.g. RFC 6455 §5.1).
   */
  | {
      readonly kind: 'fail';
      readonly codes: readonly number[];
      readonly fast?: boolean | undefined;
      readonly closeFrameOptional?: boolean | undefined;
    };

export interface Expectation {
  /** What the server sends before its close frame, in order (echoes and pongs). */
  readonly receive: readonly Expected[];
  readonly ending: Ending;
  /** Whether the permessage-deflate offer of the case must be accepted or declined. */
  readonly deflate?: 'accepted' | 'declined' | undefined;
}

export interface CaseScript {
  readonly steps: readonly Step[];
  readonly expect: Expectation;
}

/** What a case may depend on in the target's configuration. */
export interface CaseContext {
  /** The target's message size limit (the demo contract's MAX_PAYLOAD, 16 MiB by default). */
  readonly maxMessageBytes: number;
  /** Send as many messages as Autobahn does (1000 per 12.x and 13.x case) instead of a sample. */
  readonly fullCounts?: boolean | undefined;
}

export interface ConformanceCase {
  /** Autobahn-style id, e.g. '5.9' or '6.4.1'. */
  readonly id: string;
  readonly category: Category;
  /** One line: what is sent and what must happen. */
  readonly description: string;
  /** Sec-WebSocket-Extensions sent in the handshake. */
  readonly offer?: string | undefined;
  /** Bound on the whole case (handshake to TCP close); the runner's default when left out. */
  readonly timeoutMs?: number | ((context: CaseContext) => number) | undefined;
  readonly script: (context: CaseContext) => CaseScript;
}

// --- what a run produces ----------------------------------------------------------------------

/** Autobahn's verdicts: NON-STRICT is a pass that took a liberty the RFC allows but Autobahn frowns on. */
export type Verdict = 'OK' | 'NON-STRICT' | 'FAILED';

export interface CaseResult {
  readonly id: string;
  readonly category: Category;
  readonly description: string;
  readonly verdict: Verdict;
  /** Why the verdict is not OK (or notes on an OK). */
  readonly reason: string;
  readonly durationMs: number;
  /** What was observed: the close code, who closed TCP, how many frames came. */
  readonly observed: ObservedSummary;
}

export interface ObservedSummary {
  readonly closeCode?: number | undefined;
  readonly closeReason?: string | undefined;
  readonly tcpClosedByServer: boolean;
  readonly received: number;
  readonly extensions?: string | undefined;
}

export interface ConformanceReport {
  readonly target: string;
  readonly url: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly maxMessageBytes: number;
  readonly results: readonly CaseResult[];
}
