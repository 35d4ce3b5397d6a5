import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import {
  endHandshakeSpanAbandoned,
  inHandshakeSpan,
  startHandshakeSpan,
} from '../observability/tracing.js';
import { serverTraffic } from '../observability/traffic-totals.js';
import type { HandshakePolicy } from '../protocol/handshake-server.js';
import {
  createDeflateNegotiator,
  type DeflateAgreement,
  type DeflateOptions,
} from '../protocol/permessage-deflate.js';
import type { TopicHub } from '../topics/topic-hub.js';
import { nodeAcceptKey } from './accept-key.js';
import { type Admission, isAdmissionRefusal } from './admission.js';
import { captureFor } from './capture.js';
import {
  type ConnectionSettings,
  resolveConnectionSettings,
  WebSocketConnection,
} from './connection.js';
import {
  type AnyHandshakeOutcome,
  validateHandshake,
  writeAcceptAnswer,
} from './handshake-accept.js';
import { refuseFailedHook } from './handshake-refusal.js';
import type { HandshakeRequest } from './handshake-request.js';
import { SendBudget } from './send-budget.js';
import {
  DEFAULT_MAX_BUFFERED_BYTES_TOTAL,
  type ServerOptions,
  type UpgradeOptions,
} from './server-options.js';
import { runUpgradeHook } from './upgrade-hook.js';
import { createSessionCompression } from './zlib-codec.js';

/** The budget of every server that leaves `maxBufferedBytesTotal` unset. */
const processSendBudget = new SendBudget(DEFAULT_MAX_BUFFERED_BYTES_TOTAL);

/** What the pipeline needs of its server. */
export interface HandshakeHost {
  readonly closing: boolean;
  readonly openConnections: number;
  refuse(
    request: HandshakeRequest,
    socket: Duplex,
    code: HandshakeCode,
    detail?: string,
    headers?: Readonly<Record<string, string>>,
    status?: number,
  ): void;
  /** The 101 is written: the server takes the connection (its set, its events). */
  opened(connection: WebSocketConnection, request: HandshakeRequest): void;
  /** The server's topics, which its connections subscribe to. */
  readonly topics: TopicHub;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function startConnection(connection: WebSocketConnection, head: Uint8Array): void {
  connection.start(head);
}

/**
 * The steps of a handshake once its request head is read, wherever it came from (a standalone
 * server, an attached http server, an adapter, an HTTP/2 stream): RFC 6455 §4.2.1 (or RFC 8441)
 * checks and negotiation, the connection limits, the application's hook, then the 101 (or 200)
 * and the connection.
 */
export class HandshakePipeline {
  readonly #policy: HandshakePolicy<DeflateAgreement>;
  readonly #deflateOptions: DeflateOptions;
  /** Resolved with the first connection and shared by all (memory per idle connection). */
  #connectionSettings: ConnectionSettings | undefined;

  constructor(
    private readonly options: ServerOptions,
    private readonly admission: Admission,
    private readonly host: HandshakeHost,
  ) {
    const deflate = options.perMessageDeflate ?? true;
    this.#deflateOptions = typeof deflate === 'object' ? deflate : {};
    this.#policy = {
      origins: options.origins,
      requireOrigin: options.requireOrigin,
      subprotocols: options.subprotocols,
      requireSubprotocol: options.requireSubprotocol,
      extensions: deflate === false ? undefined : createDeflateNegotiator(this.#deflateOptions),
      acceptKey: nodeAcceptKey,
    };
  }

  /** Resolves with the connection, or undefined when the handshake was refused (the answer is written). */
  run(
    request: HandshakeRequest,
    socket: Duplex,
    head: Uint8Array,
    upgradeOptions: UpgradeOptions,
    owner: EventEmitter,
  ): Promise<WebSocketConnection | undefined> {
    startHandshakeSpan(request);
    const settled = this.#run(request, socket, head, upgradeOptions, owner);
    void settled.finally(() => endHandshakeSpanAbandoned(request)).catch(() => {});
    return settled;
  }

  async #run(
    request: HandshakeRequest,
    socket: Duplex,
    head: Uint8Array,
    upgradeOptions: UpgradeOptions,
    owner: EventEmitter,
  ): Promise<WebSocketConnection | undefined> {
    const { options, host } = this;
    // Until a connection or a refusal owns the socket (the hook may take a while), a client that
    // resets must not raise an 'error' nobody listens to: that would end the process.
    socket.on('error', destroyOnError);
    // A capture records TCP connections; an HTTP/2 stream is a part of one, not recorded.
    if (options.capture !== undefined && request.transport !== 'h2')
      captureFor(owner, options.capture)?.trackUpgrade(request, socket, head);
    if (host.closing) {
      host.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
      return undefined;
    }
    let outcome: AnyHandshakeOutcome<DeflateAgreement>;
    try {
      // The origin and subprotocol policies may be application functions: one that throws is a
      // failed hook (500, logged), not an unhandled rejection that ends the process.
      outcome = validateHandshake(request, this.#policy);
    } catch (error) {
      refuseFailedHook(options, request, socket, error);
      return undefined;
    }
    if (!outcome.accepted) {
      host.refuse(request, socket, outcome.code, outcome.detail);
      return undefined;
    }
    const admitted = this.admission.admit(request, host.openConnections);
    if (isAdmissionRefusal(admitted)) {
      host.refuse(request, socket, admitted.code, admitted.detail);
      return undefined;
    }
    let connection: WebSocketConnection | undefined;
    try {
      const verify = options.verifyUpgrade;
      if (verify !== undefined) {
        const decision = await inHandshakeSpan(request, () =>
          runUpgradeHook(options, request, socket, verify),
        );
        if (decision === 'failed') return undefined;
        if (decision?.refuse !== undefined) {
          const { refuse, detail, headers, status } = decision;
          host.refuse(request, socket, refuse, detail, headers, status);
          return undefined;
        }
      }
      if (socket.destroyed || !socket.writable) return undefined;
      if (host.closing) {
        host.refuse(request, socket, 'WSG_SERVER_SHUTTING_DOWN');
        return undefined;
      }
      try {
        writeAcceptAnswer(socket, outcome, upgradeOptions.headers);
      } catch (error) {
        // Only an extra header that cannot be written (RFC 9110 §5.5) makes it throw.
        host.refuse(request, socket, 'WSG_RESPONSE_HEADER_INVALID', (error as Error).message);
        return undefined;
      }
      connection = new WebSocketConnection(
        socket,
        {
          side: 'server',
          subprotocol: outcome.subprotocol,
          extensions: outcome.extensionsHeader,
          compression:
            outcome.extension === undefined
              ? undefined
              : createSessionCompression(outcome.extension, 'server', this.#deflateOptions),
        },
        this.#settings(),
      );
      socket.off('error', destroyOnError);
    } finally {
      this.admission.handshakeEnded(admitted, connection);
    }
    host.opened(connection, request);
    // Read the bytes that came with the head only after the caller of handleUpgrade has had the
    // connection: its `await` resumes in a microtask, before this macrotask, so the listeners it
    // attaches see the first messages too (a client may send them in the handshake's TCP write).
    setImmediate(startConnection, connection, head);
    return connection;
  }

  #sendBudget(): SendBudget | undefined {
    const maxBytes = this.options.maxBufferedBytesTotal;
    // Left unset, every server of the process shares one budget, so that the bound holds for
    // the process however many servers (adapter routes) it has; set, a server has its own.
    if (maxBytes === undefined) return processSendBudget;
    return maxBytes > 0 ? new SendBudget(maxBytes) : undefined;
  }

  #settings(): ConnectionSettings {
    const { options } = this;
    this.#connectionSettings ??= {
      ...resolveConnectionSettings(
        {
          side: 'server',
          maxMessageBytes: options.maxMessageBytes,
          closeTimeoutMs: options.closeTimeoutMs,
          idleTimeoutMs: options.idleTimeoutMs,
          maxMessagesPerSecond: options.maxMessagesPerSecond,
          clock: options.clock,
          maxBufferedBytes: options.maxBufferedBytes,
          slowConsumerPolicy: options.slowConsumerPolicy,
          textAs: options.textAs,
          log: options.onLog,
        },
        this.#sendBudget(),
      ),
      topics: this.host.topics,
      traffic: serverTraffic,
    };
    return this.#connectionSettings;
  }
}
