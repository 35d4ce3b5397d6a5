import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { allCases } from './cases/index.js';
import {
  ClientDeflate,
  checkDeflateAnswer,
  largestDistance,
  type NegotiationOutcome,
} from './deflate.js';
import type {
  CaseContext,
  CaseResult,
  CaseScript,
  Chop,
  ConformanceCase,
  ConformanceReport,
  Ending,
  Expected,
  MessageSpec,
  MessageType,
  ObservedSummary,
  Verdict,
} from './types.js';
import { NO_STATUS } from './types.js';
import {
  acceptFor,
  closePayload,
  encodeFrame,
  encodeFrames,
  FrameReader,
  isSendableCloseCode,
  isUtf8,
  messageFrames,
  newHandshakeKey,
  Opcode,
  parseResponseHead,
  type ServerFrame,
} from './wire.js';

// --- options --------------------------------------------------------------------------------

export interface RunOptions {
  /** The cases to run; every case by default. */
  readonly cases?: readonly ConformanceCase[] | undefined;
  /** Only ids matching one of these: '6.4.1', '6.4.*', '9' (a whole category). */
  readonly include?: readonly string[] | undefined;
  /** The target's message limit (the demo contract's MAX_PAYLOAD); 16 MiB by default. */
  readonly maxMessageBytes?: number | undefined;
  /** Autobahn's message counts (1000 per 12.x and 13.x case) instead of a sample; slow. */
  readonly fullCounts?: boolean | undefined;
  /** Bound on one case, unless the case sets its own; 10 s by default. */
  readonly caseTimeoutMs?: number | undefined;
  /** How long the server gets to answer a close or fail the connection; 2 s by default. */
  readonly closeTimeoutMs?: number | undefined;
  /** A name for the report (results/<target>.json); derived from the URL by default. */
  readonly target?: string | undefined;
  /** Called after each case, e.g. to print progress. */
  readonly onResult?: ((result: CaseResult) => void) | undefined;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_CASE_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;

interface Target {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly hostHeader: string;
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url);
  if (parsed.protocol !== 'ws:') {
    throw new Error(`only ws:// URLs are supported (got ${parsed.protocol}//)`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 80 : Number(parsed.port);
  return {
    host,
    port,
    path: `${parsed.pathname || '/'}${parsed.search}`,
    hostHeader: `${parsed.hostname}:${port}`,
  };
}

/** A file-name-safe name for a target: 127.0.0.1-9001-echo. */
export function targetName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}-${parsed.port || '80'}${parsed.pathname}`
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/-+$/, '');
}

/** Whether a case id matches a pattern: '6.4.1' exactly, '6.4.*' by prefix, '9' for a category. */
export function matchesPattern(id: string, pattern: string): boolean {
  if (pattern.endsWith('.*')) return id.startsWith(pattern.slice(0, -1));
  return id === pattern || id.startsWith(`${pattern}.`);
}

// --- the connection of one case ---------------------------------------------------------------

type Item =
  | { readonly kind: 'message'; readonly type: MessageType; payload: Buffer }
  | { readonly kind: 'pong'; payload: Buffer };

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));

class HandshakeFailure extends Error {}

/**
 * One client connection driven by a case: writes whatever the case says, reads and checks
 * every frame the server sends (RFC 6455 §5, RFC 7692), answers the server's close like a
 * well-behaved client, and never closes TCP itself before the verdict.
 */
class CaseConnection {
  readonly items: Item[] = [];
  readonly violations: string[] = [];
  /** A close frame from the server has been read (set as soon as it is parsed). */
  closeSeen = false;
  /** The server's close frame, once processed in order. */
  close: { code: number; reason: string } | undefined;
  /** We sent a close frame before the server's close arrived. */
  closeSentFirst = false;
  closeSent = false;
  /** The server ended TCP (FIN or reset). */
  tcpEnded = false;
  resetByServer = false;
  private readonly reader: FrameReader;
  private readonly waiters = new Set<() => void>();
  private readonly queue: ServerFrame[] = [];
  private pumping = false;
  private message: { type: MessageType; compressed: boolean; pieces: Buffer[] } | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly extensions: string | undefined,
    readonly negotiation: NegotiationOutcome,
    readonly deflate: ClientDeflate | undefined,
  ) {
    this.reader = new FrameReader(
      (frame) => this.enqueue(frame),
      (message) => {
        this.violations.push(message);
        this.notify();
      },
    );
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('end', () => this.ended(false));
    socket.on('close', () => this.ended(false));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') this.ended(true);
    });
  }

  static open(
    target: Target,
    offer: string | undefined,
    deadline: number,
  ): Promise<CaseConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      socket.setNoDelay(true);
      const key = newHandshakeKey();
      // The request Autobahn's fuzzing client writes: Host always with its port, "WebSocket"
      // capitalised (header values are compared case-insensitively, RFC 6455 §4.2.1), cache
      // headers for proxies, the offers joined by ", ", and the version last.
      let head = `GET ${target.path} HTTP/1.1\r\nUser-Agent: wsgate-conformance\r\nHost: ${target.hostHeader}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nSec-WebSocket-Key: ${key}\r\n`;
      if (offer !== undefined) head += `Sec-WebSocket-Extensions: ${offer}\r\n`;
      head += 'Sec-WebSocket-Version: 13\r\n\r\n';
      let received = Buffer.alloc(0);
      const timer = setTimeout(
        () => fail(new HandshakeFailure('no handshake answer in time')),
        Math.max(1, deadline - performance.now()),
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) {
          if (received.length > 16_384) fail(new HandshakeFailure('answer head over 16 KiB'));
          return;
        }
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        const response = parseResponseHead(received.subarray(0, end).toString('latin1'));
        const rest = received.subarray(end + 4);
        // RFC 6455 §4.1: what a client checks before the connection is established.
        const problem =
          response.status !== 101
            ? `answered "${response.statusLine}" instead of 101`
            : response.headers.upgrade?.toLowerCase() !== 'websocket'
              ? `Upgrade is "${response.headers.upgrade ?? ''}", not websocket (RFC 6455 §4.1)`
              : !/(^|,)\s*upgrade\s*(,|$)/i.test(response.headers.connection ?? '')
                ? `Connection is "${response.headers.connection ?? ''}", without upgrade (RFC 6455 §4.1)`
                : response.headers['sec-websocket-accept'] !== acceptFor(key)
                  ? `Sec-WebSocket-Accept is "${response.headers['sec-websocket-accept'] ?? ''}", not ${acceptFor(key)} (RFC 6455 §4.1)`
                  : response.headers['sec-websocket-protocol'] !== undefined
                    ? 'a subprotocol was answered though none was offered (RFC 6455 §4.1)'
                    : undefined;
        if (problem !== undefined) {
          socket.destroy();
          reject(new HandshakeFailure(problem));
          return;
        }
        const extensions = response.headers['sec-websocket-extensions'];
        const negotiation = checkDeflateAnswer(offer, extensions);
        const deflate = negotiation.accepted ? new ClientDeflate(negotiation.agreement) : undefined;
        const connection = new CaseConnection(socket, extensions, negotiation, deflate);
        if (rest.length > 0) connection.reader.push(rest);
        resolve(connection);
      };
      const onError = (error: Error): void => fail(new HandshakeFailure(error.message));
      const onClose = (): void => fail(new HandshakeFailure('the server closed before answering'));
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('connect', () => socket.write(head));
    });
  }

  /** The server has closed or is closing: its close frame was read, or TCP ended. */
  get serverClosing(): boolean {
    return this.closeSeen || this.tcpEnded;
  }

  /** Every frame read so far has been processed (including asynchronous inflating). */
  get settled(): boolean {
    return !this.pumping && this.queue.length === 0;
  }

  waitFor(predicate: () => boolean, until: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(predicate());
      };
      const timer = setTimeout(finish, Math.max(0, until - performance.now()));
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private ended(reset: boolean): void {
    if (reset) this.resetByServer = true;
    if (this.tcpEnded) return;
    this.tcpEnded = true;
    this.notify();
  }

  // --- sending --------------------------------------------------------------------------

  get writable(): boolean {
    return !this.socket.destroyed && this.socket.writable && !this.tcpEnded;
  }

  /** Writes bytes; resolves once they are handed to the kernel (or the socket is gone). */
  write(data: Uint8Array): Promise<void> {
    if (!this.writable) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.write(data, () => resolve());
    });
  }

  /** Writes in chops, stopping once the server closes (the rest would be discarded anyway). */
  async writeChopped(data: Uint8Array, chop: Chop): Promise<void> {
    const size = Math.max(1, chop.bytes);
    for (let start = 0; start < data.length; start += size) {
      if (this.serverClosing || !this.writable) return;
      this.socket.write(data.subarray(start, start + size));
      if (start + size < data.length) await delay(chop.delayMs);
    }
  }

  async sendMessage(spec: MessageSpec): Promise<void> {
    let payload = spec.payload;
    const compress = spec.compress === true && this.deflate !== undefined;
    if (compress) payload = await (this.deflate as ClientDeflate).compress(spec.payload);
    await this.write(encodeFrames(messageFrames(spec.type, payload, spec.fragmentBytes, compress)));
  }

  sendClose(code: number, reason = ''): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (!this.closeSeen) this.closeSentFirst = true;
    const payload = code === NO_STATUS ? Buffer.alloc(0) : closePayload(code, reason);
    void this.write(encodeFrame({ opcode: Opcode.close, payload }));
  }

  /** Marks a close frame the case itself sent (7.x), so that no reply is added to it. */
  noteCloseSent(): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (!this.closeSeen) this.closeSentFirst = true;
  }

  destroy(): void {
    this.socket.destroy();
    this.deflate?.close();
  }

  // --- receiving ------------------------------------------------------------------------

  private enqueue(frame: ServerFrame): void {
    if (frame.opcode === Opcode.close && !this.closeSeen) {
      this.closeSeen = true;
      // RFC 6455 §5.5.1: answer a close with a close, echoing its code.
      if (!this.closeSent) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : NO_STATUS;
        this.sendClose(isSendableCloseCode(code) ? code : NO_STATUS);
      }
    }
    this.queue.push(frame);
    if (!this.pumping) void this.pump();
    this.notify();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    for (let frame = this.queue.shift(); frame !== undefined; frame = this.queue.shift()) {
      try {
        await this.process(frame);
      } catch (error) {
        this.violations.push(`client error while reading a frame: ${String(error)}`);
      }
      this.notify();
    }
    this.pumping = false;
    this.notify();
  }

  private violation(text: string): void {
    if (this.violations.length < 5) this.violations.push(text);
  }

  /** Checks one server frame (RFC 6455 §5, RFC 7692 §6) and turns it into items. */
  private async process(frame: ServerFrame): Promise<void> {
    const { opcode } = frame;
    if (this.close !== undefined) {
      this.violation(
        `a frame (opcode ${opcode}) came after the server's close frame (RFC 6455 §5.5.1)`,
      );
      return;
    }
    if (frame.masked) this.violation(`the server masked a frame, opcode ${opcode} (RFC 6455 §5.1)`);
    if (!frame.minimalLength) {
      this.violation(`a length is not minimally encoded, opcode ${opcode} (RFC 6455 §5.2)`);
    }
    if (frame.rsv2 || frame.rsv3) {
      this.violation(
        `RSV2/RSV3 set on opcode ${opcode} with no extension for them (RFC 6455 §5.2)`,
      );
    }
    if (opcode >= 8) {
      if (frame.rsv1) this.violation(`RSV1 set on control frame ${opcode} (RFC 7692 §6)`);
      if (!frame.fin) this.violation(`control frame ${opcode} is fragmented (RFC 6455 §5.5)`);
      if (frame.payload.length > 125) {
        this.violation(
          `control frame ${opcode} carries ${frame.payload.length} bytes (RFC 6455 §5.5)`,
        );
      }
      if (opcode === Opcode.ping) {
        if (!this.closeSent)
          void this.write(encodeFrame({ opcode: Opcode.pong, payload: frame.payload }));
      } else if (opcode === Opcode.pong) {
        this.items.push({ kind: 'pong', payload: frame.payload });
      } else if (opcode === Opcode.close) {
        this.readClose(frame.payload);
      } else {
        this.violation(`reserved control opcode ${opcode} (RFC 6455 §5.2)`);
      }
      return;
    }
    if (opcode !== Opcode.continuation && opcode !== Opcode.text && opcode !== Opcode.binary) {
      this.violation(`reserved data opcode ${opcode} (RFC 6455 §5.2)`);
      return;
    }
    if (opcode === Opcode.continuation) {
      if (this.message === undefined) {
        this.violation('a continuation frame with no message in progress (RFC 6455 §5.4)');
        return;
      }
      if (frame.rsv1) this.violation('RSV1 set on a continuation frame (RFC 7692 §6)');
    } else {
      if (this.message !== undefined) {
        this.violation(`a new message began inside a fragmented one (RFC 6455 §5.4)`);
      }
      if (frame.rsv1 && this.deflate === undefined) {
        this.violation('RSV1 set without permessage-deflate agreed (RFC 6455 §5.2)');
      }
      this.message = {
        type: opcode === Opcode.text ? 'text' : 'binary',
        compressed: frame.rsv1 && this.deflate !== undefined,
        pieces: [],
      };
    }
    const message = this.message;
    message.pieces.push(frame.payload);
    if (!frame.fin) return;
    this.message = undefined;
    let payload =
      message.pieces.length === 1 ? (message.pieces[0] as Buffer) : Buffer.concat(message.pieces);
    if (message.compressed) {
      const deflate = this.deflate as ClientDeflate;
      const bits = deflate.agreement.serverMaxWindowBits;
      if (bits < 15) {
        try {
          const distance = largestDistance(
            Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]),
          );
          if (distance > 1 << bits) {
            this.violation(
              `a compressed message refers ${distance} bytes back, beyond the agreed server_max_window_bits=${bits} (RFC 7692 §7.1.2.1)`,
            );
          }
        } catch (error) {
          this.violation(
            `a compressed message is not valid DEFLATE: ${String(error)} (RFC 7692 §7.2.2)`,
          );
        }
      }
      try {
        payload = await deflate.decompress(payload);
      } catch (error) {
        this.violation(`a compressed message does not inflate: ${String(error)} (RFC 7692 §7.2.2)`);
        return;
      }
    }
    if (message.type === 'text' && !isUtf8(payload)) {
      this.violation(
        `a text message of ${payload.length} bytes is not valid UTF-8 (RFC 6455 §8.1)`,
      );
    }
    this.items.push({ kind: 'message', type: message.type, payload });
  }

  private readClose(payload: Buffer): void {
    if (payload.length === 0) {
      this.close = { code: NO_STATUS, reason: '' };
      return;
    }
    if (payload.length === 1) {
      this.violation('the server sent a close frame with a 1-byte payload (RFC 6455 §5.5.1)');
      this.close = { code: NO_STATUS, reason: '' };
      return;
    }
    const code = payload.readUInt16BE(0);
    const reasonBytes = payload.subarray(2);
    if (!isSendableCloseCode(code)) {
      this.violation(`the server sent close code ${code}, which may not be sent (RFC 6455 §7.4)`);
    }
    if (!isUtf8(reasonBytes)) {
      this.violation('the server sent a close reason that is not UTF-8 (RFC 6455 §5.5.1)');
    }
    this.close = { code, reason: reasonBytes.toString('utf8') };
  }
}

// --- comparing what came with what was expected ------------------------------------------

function describeItem(item: Expected | Item): string {
  return item.kind === 'pong'
    ? `pong(${item.payload.length} B)`
    : `${item.type}(${item.payload.length} B)`;
}

function describeList(items: readonly (Expected | Item)[]): string {
  if (items.length === 0) return 'nothing';
  const shown = items.slice(0, 4).map(describeItem).join(', ');
  return items.length > 4 ? `${shown}, … (${items.length} in all)` : shown;
}

function sameItem(expected: Expected, actual: Item): string | undefined {
  if (expected.kind !== actual.kind)
    return `${describeItem(actual)} instead of ${describeItem(expected)}`;
  if (expected.kind === 'message' && actual.kind === 'message' && expected.type !== actual.type) {
    return `${describeItem(actual)} instead of ${describeItem(expected)} (the type changed)`;
  }
  if (!Buffer.from(expected.payload).equals(actual.payload)) {
    const a = actual.payload;
    const e = expected.payload;
    let at = 0;
    while (at < a.length && at < e.length && a[at] === e[at]) at++;
    return `${describeItem(actual)} differs from the ${describeItem(expected)} expected, from byte ${at}`;
  }
  return undefined;
}

function compareItems(expected: readonly Expected[], actual: readonly Item[]): string | undefined {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === undefined) {
      return `unexpected ${describeItem(a as Item)} at position ${i + 1}; expected only ${describeList(expected)}`;
    }
    if (a === undefined) {
      return `expected ${describeList(expected)}, received ${describeList(actual)}`;
    }
    const difference = sameItem(e, a);
    if (difference !== undefined) return `item ${i + 1}: ${difference}`;
  }
  return undefined;
}

function codeList(codes: readonly number[]): string {
  return codes.map((code) => (code === NO_STATUS ? 'no code' : String(code))).join(' or ');
}

function showClose(close: { code: number; reason: string }): string {
  const code = close.code === NO_STATUS ? 'no code' : String(close.code);
  return close.reason === '' ? code : `${code} "${close.reason.slice(0, 80)}"`;
}

// --- one case -------------------------------------------------------------------------------

interface RunState {
  failFastLate: boolean;
  roundtripProblem: string | undefined;
  timedOut: string | undefined;
  /** Items checked by roundtrip steps; the expectation covers the ones after. */
  cursor: number;
}

async function runSteps(
  connection: CaseConnection,
  script: CaseScript,
  state: RunState,
  deadline: number,
): Promise<void> {
  for (const step of script.steps) {
    if (performance.now() > deadline) {
      state.timedOut = `the case ran out of time at a ${step.kind} step`;
      return;
    }
    if (step.kind === 'fail-fast-mark') {
      if (!connection.serverClosing) state.failFastLate = true;
      continue;
    }
    // A failed connection takes nothing more: the server stopped reading (RFC 6455 §7.1.7).
    if (connection.serverClosing) return;
    switch (step.kind) {
      case 'frames': {
        const data = encodeFrames(step.frames);
        if (step.frames.some((frame) => frame.opcode === Opcode.close)) connection.noteCloseSent();
        if (step.chop === undefined) await connection.write(data);
        else await connection.writeChopped(data, step.chop);
        break;
      }
      case 'raw':
        if (step.chop === undefined) await connection.write(step.bytes);
        else await connection.writeChopped(step.bytes, step.chop);
        break;
      case 'message':
        await connection.sendMessage(step.message);
        break;
      case 'wait':
        await delay(Math.min(step.ms, Math.max(0, deadline - performance.now())));
        break;
      case 'roundtrips':
        for (let i = 0; i < step.count; i++) {
          if (performance.now() > deadline) {
            state.timedOut = `the case ran out of time at roundtrip ${i + 1} of ${step.count}`;
            return;
          }
          const message = step.make(i);
          await connection.sendMessage(message);
          const want = state.cursor + 1;
          await connection.waitFor(
            () => connection.items.length >= want || connection.serverClosing,
            deadline,
          );
          const item = connection.items[state.cursor];
          if (item === undefined) {
            state.roundtripProblem = connection.serverClosing
              ? `the server closed during roundtrip ${i + 1} of ${step.count}`
              : `no echo for roundtrip ${i + 1} of ${step.count} in time`;
            return;
          }
          const difference = sameItem(
            { kind: 'message', type: message.type, payload: message.payload },
            item,
          );
          if (difference !== undefined) {
            state.roundtripProblem = `roundtrip ${i + 1} of ${step.count}: ${difference}`;
            return;
          }
          // Done with it: keep memory flat over a thousand roundtrips.
          item.payload = Buffer.alloc(0);
          state.cursor++;
        }
        break;
    }
  }
}

function observedOf(connection: CaseConnection | undefined): ObservedSummary {
  return {
    closeCode: connection?.close?.code,
    closeReason: connection?.close?.reason,
    tcpClosedByServer: connection?.tcpEnded ?? false,
    received: connection?.items.length ?? 0,
    extensions: connection?.extensions,
  };
}

function judge(
  connection: CaseConnection,
  script: CaseScript,
  state: RunState,
  closeTimeoutMs: number,
): { verdict: Verdict; reason: string } {
  const failed = (reason: string) => ({ verdict: 'FAILED' as const, reason });
  const { expect } = script;
  if (connection.negotiation.accepted === false && connection.negotiation.error !== undefined) {
    return failed(connection.negotiation.error);
  }
  if (expect.deflate === 'accepted' && !connection.negotiation.accepted) {
    return failed('the permessage-deflate offer was declined; it is valid and must be accepted');
  }
  if (expect.deflate === 'declined' && connection.negotiation.accepted) {
    return failed(
      `the invalid permessage-deflate offer was accepted with "${connection.extensions ?? ''}"; it must be declined (RFC 7692 §7)`,
    );
  }
  if (connection.violations.length > 0) return failed(connection.violations.join('; '));
  if (state.roundtripProblem !== undefined) {
    const close = connection.close === undefined ? '' : ` (close ${showClose(connection.close)})`;
    return failed(`${state.roundtripProblem}${close}`);
  }
  if (state.timedOut !== undefined) return failed(state.timedOut);
  const difference = compareItems(expect.receive, connection.items.slice(state.cursor));
  const ending: Ending = expect.ending;
  const close = connection.close;
  if (ending.kind === 'fail') {
    if (close === undefined) {
      if (!connection.tcpEnded) {
        return failed(
          `the server did not fail the connection within ${closeTimeoutMs} ms (expected close ${codeList(ending.codes)})${difference === undefined ? '' : `; ${difference}`}`,
        );
      }
      if (difference !== undefined) return failed(difference);
      if (ending.closeFrameOptional)
        return { verdict: 'OK', reason: 'TCP closed without a close frame (allowed here)' };
      return {
        verdict: 'NON-STRICT',
        reason: `the server dropped TCP without a close frame; RFC 6455 §7.1.7 says it SHOULD send close ${codeList(ending.codes)}`,
      };
    }
    if (difference !== undefined) return failed(`${difference}; then close ${showClose(close)}`);
    if (!ending.codes.includes(close.code)) {
      return failed(
        `the server closed with ${showClose(close)}; it must fail the connection with ${codeList(ending.codes)}`,
      );
    }
    if (!connection.tcpEnded) {
      return failed(
        `the server sent close ${close.code} but did not close TCP within ${closeTimeoutMs} ms (RFC 6455 §7.1.7)`,
      );
    }
    if (ending.fast && state.failFastLate) {
      return {
        verdict: 'NON-STRICT',
        reason: `failed late: close ${close.code} came only after the rest of the message was sent (fail fast expected)`,
      };
    }
    return { verdict: 'OK', reason: '' };
  }
  if (close === undefined) {
    if (difference !== undefined) return failed(difference);
    return failed(
      connection.tcpEnded
        ? 'the server closed TCP without answering the close frame (RFC 6455 §5.5.1)'
        : `no close frame within ${closeTimeoutMs} ms after ours (RFC 6455 §5.5.1)`,
    );
  }
  if (ending.kind === 'clean-close' && !connection.closeSentFirst) {
    return failed(
      `the server closed the connection with ${showClose(close)} on a valid exchange${difference === undefined ? '' : `; ${difference}`}`,
    );
  }
  if (difference !== undefined) return failed(difference);
  if (!ending.codes.includes(close.code)) {
    return failed(
      `the server answered close with ${showClose(close)}; expected ${codeList(ending.codes)}`,
    );
  }
  if (!connection.tcpEnded) {
    return failed(
      `the server did not close TCP within ${closeTimeoutMs} ms after the closing handshake (RFC 6455 §5.5.1, §7.1.1)`,
    );
  }
  return { verdict: 'OK', reason: '' };
}

export async function runCase(
  url: string,
  testCase: ConformanceCase,
  options: RunOptions = {},
): Promise<CaseResult> {
  const started = performance.now();
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const context: CaseContext = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    fullCounts: options.fullCounts,
  };
  const caseTimeoutMs =
    typeof testCase.timeoutMs === 'function' ? testCase.timeoutMs(context) : testCase.timeoutMs;
  const deadline = started + (caseTimeoutMs ?? options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS);
  const result = (
    verdict: Verdict,
    reason: string,
    connection: CaseConnection | undefined,
  ): CaseResult => ({
    id: testCase.id,
    category: testCase.category,
    description: testCase.description,
    verdict,
    reason,
    durationMs: Math.round(performance.now() - started),
    observed: observedOf(connection),
  });
  let script: CaseScript;
  try {
    script = testCase.script(context);
  } catch (error) {
    return result('FAILED', `the case could not be built: ${String(error)}`, undefined);
  }
  let connection: CaseConnection;
  try {
    connection = await CaseConnection.open(parseTarget(url), testCase.offer, deadline);
  } catch (error) {
    const reason = error instanceof HandshakeFailure ? error.message : String(error);
    return result('FAILED', `handshake: ${reason}`, undefined);
  }
  const state: RunState = {
    failFastLate: false,
    roundtripProblem: undefined,
    timedOut: undefined,
    cursor: 0,
  };
  try {
    await runSteps(connection, script, state, deadline);
    const ending = script.expect.ending;
    const closeBy = Math.min(deadline + closeTimeoutMs, performance.now() + closeTimeoutMs);
    if (
      ending.kind === 'clean-close' &&
      state.roundtripProblem === undefined &&
      state.timedOut === undefined
    ) {
      const want = state.cursor + script.expect.receive.length;
      await connection.waitFor(
        () => (connection.settled && connection.items.length >= want) || connection.serverClosing,
        deadline,
      );
      if (!connection.serverClosing) connection.sendClose(1000);
    }
    // Wait for the server's close frame (if any) and its end of TCP, then for the last frames.
    await connection.waitFor(() => connection.tcpEnded, closeBy);
    await connection.waitFor(() => connection.settled, performance.now() + closeTimeoutMs);
    const { verdict, reason } = judge(connection, script, state, closeTimeoutMs);
    return result(verdict, reason, connection);
  } catch (error) {
    return result('FAILED', `runner error: ${String(error)}`, connection);
  } finally {
    connection.destroy();
  }
}

// --- the whole suite ------------------------------------------------------------------------

/** Fails at once, with one clear message, when nothing listens at the target. */
function probe(target: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`cannot connect to ${target.host}:${target.port} within 5 s`));
    }, 5_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${target.host}:${target.port}: ${error.message}`));
    });
  });
}

export function selectCases(options: RunOptions = {}): ConformanceCase[] {
  const cases = options.cases ?? allCases();
  const include = options.include;
  if (include === undefined || include.length === 0) return [...cases];
  return cases.filter((c) => include.some((pattern) => matchesPattern(c.id, pattern)));
}

/**
 * Runs the suite against a WebSocket echo endpoint (every message echoed with its type,
 * permessage-deflate on) and returns Autobahn-style verdicts. Cases run one at a time, each
 * on its own connection.
 */
export async function runConformance(
  url: string,
  options: RunOptions = {},
): Promise<ConformanceReport> {
  await probe(parseTarget(url));
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  for (const testCase of selectCases(options)) {
    const caseResult = await runCase(url, testCase, options);
    results.push(caseResult);
    options.onResult?.(caseResult);
  }
  return {
    target: options.target ?? targetName(url),
    url,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    results,
  };
}
