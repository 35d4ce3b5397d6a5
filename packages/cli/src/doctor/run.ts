import { randomBytes } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { Capture, catalogue, type ErrorCode } from '@wsgate/core';
import {
  classifySocketError,
  createSessionCompression,
  type WebSocketUrl,
} from '@wsgate/core/adapter';
import {
  acceptDeflateResponse,
  encodeClosePayload,
  encodeFrame,
  formatDeflateOffer,
  generateClientKey,
  type HttpResponseHead,
  HttpResponseParser,
  isValidUtf8,
  isValidWireCloseCode,
  type MessageCodec,
  Opcode,
  PERMESSAGE_DEFLATE,
  parseClosePayload,
  serializeClientRequest,
  validateServerResponse,
} from '@wsgate/core/protocol';
import {
  closeCodeMeaning,
  closeReasonCode,
  codesForCloseCode,
  type DiagnosisParts,
  describeCode,
  diagnose,
} from './diagnosis.js';
import {
  checkServerFrame,
  describeFrame,
  FrameCollector,
  MAX_DOCTOR_FRAME_BYTES,
  type ServerFrame,
  showMessage,
} from './frames.js';
import { diagnoseBadSwitch, diagnoseRefusal, type RequestContext } from './http-answer.js';
import {
  connectTcp,
  isPlainTextAnswer,
  looksLikeTls,
  plainHttpStatusLine,
  resolveHost,
  speaksTls,
  startTls,
} from './transport.js';
import {
  DEFAULT_DOCTOR_TIMEOUT_MS,
  type Diagnosis,
  type DoctorOptions,
  type DoctorReport,
  type DoctorStep,
  type StepName,
  stepNames,
} from './types.js';
import { checkUrl } from './url.js';
import { deadlineIn, ExchangeLog, roundMs, toHex, Wire } from './wire.js';

/** Largest refusal body read, for the diagnosis. */
const MAX_BODY_BYTES = 16 * 1024;
/** How long to wait for a refusal's body once its head is in. */
const BODY_WAIT_MS = 1_000;
/** How long to wait for the server to close TCP after the closing handshake. */
const TCP_CLOSE_WAIT_MS = 2_000;

/** Human text for the certificate errors Node reports (OpenSSL's X509_V_ERR_* and Node's own). */
const certificateProblems: Readonly<
  Record<string, { what: string; causes: string[]; fix: string[] }>
> = {
  CERT_HAS_EXPIRED: {
    what: 'the certificate has expired',
    causes: [
      "The certificate was not renewed in time (an ACME/Let's Encrypt renewal job that stopped, a manual certificate forgotten).",
      "This machine's clock is wrong (check `date`).",
    ],
    fix: ['Renew the certificate on the server and reload it.'],
  },
  CERT_NOT_YET_VALID: {
    what: 'the certificate is not valid yet',
    causes: [
      "This machine's clock, or the server's, is wrong.",
      'A certificate issued for a future date was installed.',
    ],
    fix: ["Check the clocks (NTP), then the certificate's notBefore date."],
  },
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    what: 'the certificate is self-signed',
    causes: [
      'The server uses a self-signed certificate (a development or default certificate), which nothing trusts by default.',
    ],
    fix: [
      'Use a certificate from a trusted CA on the server, or trust this one explicitly: --ca FILE with the certificate (PEM).',
    ],
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    what: 'the chain ends at a self-signed root that is not trusted here',
    causes: [
      'The certificate comes from a private CA (a company CA, a proxy that inspects TLS) not in this trust store.',
    ],
    fix: ['Trust the private CA: --ca FILE with its certificate (PEM).'],
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    what: "the certificate's issuer is unknown: the chain cannot be verified",
    causes: [
      'The server sends only its own certificate without the intermediate certificates.',
      'The certificate comes from a CA that this machine does not trust.',
    ],
    fix: [
      'Configure the server to send the full chain (nginx: ssl_certificate with fullchain.pem).',
      'Or trust the issuing CA: --ca FILE.',
    ],
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    what: 'the issuer of the certificate is not in the local trust store',
    causes: [
      'The certificate comes from a CA that this machine does not trust, or the server omits an intermediate certificate.',
    ],
    fix: ['Configure the server to send the full chain, or trust the CA: --ca FILE.'],
  },
  UNABLE_TO_GET_ISSUER_CERT: {
    what: 'the issuer certificate of a certificate in the chain is missing',
    causes: ['The server omits an intermediate certificate.'],
    fix: ['Configure the server to send the full chain.'],
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    what: 'the certificate is for another host name',
    causes: [
      'The URL uses a name (or an IP address) that the certificate does not list in its subjectAltName: a different domain, a missing www., an IP instead of a name.',
      'Several sites share this address and the server picked the wrong certificate (SNI).',
    ],
    fix: [
      'Connect with a host name the certificate lists, or issue a certificate that includes this name.',
    ],
  },
  CERT_REVOKED: {
    what: 'the certificate has been revoked',
    causes: ['The CA revoked the certificate (a compromised key, a reissue).'],
    fix: ['Install a new certificate on the server.'],
  },
};

/**
 * Probes a WebSocket endpoint step by step (URL, DNS, TCP, TLS, HTTP upgrade, version,
 * subprotocol, extensions, echo, close) over raw sockets, and stops at the first failing step
 * with a diagnosis: the catalogue code, what was observed, the likely causes and the fix.
 * Works against any RFC 6455 server, not only wsgate. Never throws for a failing endpoint: the
 * report says what failed. Throws only when `capture` names a file that cannot be created.
 */
export async function doctor(
  input: string | URL,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const log = new ExchangeLog();
  const report: DoctorReport = {
    input: String(input),
    url: undefined,
    healthy: false,
    exitCode: 1,
    steps: stepNames.map((name) => ({ name, status: 'not-run', summary: '' })),
    diagnosis: undefined,
    notes: [],
    exchange: log.entries,
    durationMs: 0,
  };
  let capture: Capture | undefined;
  let ownCapture = false;
  if (options.capture !== undefined) {
    if (options.capture instanceof Capture) capture = options.capture;
    else {
      capture = new Capture(
        typeof options.capture === 'string' ? { file: options.capture } : options.capture,
      );
      ownCapture = true;
    }
  }
  const probe = new Probe(report, log, options, capture);
  try {
    await probe.run();
  } finally {
    probe.dispose();
    if (capture !== undefined) {
      if (ownCapture) await capture.close();
      report.capture = {
        file: capture.file,
        bytesWritten: capture.bytesWritten,
        truncated: capture.truncated,
        ...(capture.note === undefined ? {} : { note: capture.note }),
      };
    }
    report.durationMs = roundMs(log.now());
  }
  return report;
}

type StepResult = boolean;

class Probe {
  private readonly timeoutMs: number;
  private readonly sockets: Socket[] = [];
  private wire: Wire | undefined;
  private target!: WebSocketUrl;
  private address = '';
  private request!: RequestContext;
  private requestText = '';
  private deflate = false;
  private codec: MessageCodec | undefined;
  private readonly collector = new FrameCollector();
  private readonly pending: ServerFrame[] = [];
  private lastSent: { description: string; hex: string; atMs: number } | undefined;
  private message: { opcode: number; compressed: boolean; pieces: Buffer[] } | undefined;

  constructor(
    private readonly report: DoctorReport,
    private readonly log: ExchangeLog,
    private readonly options: DoctorOptions,
    private readonly capture: Capture | undefined,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  }

  async run(): Promise<void> {
    if (!this.checkUrl()) return;
    if (!(await this.checkDns())) return;
    if (!(await this.checkTcp())) return;
    if (!(await this.checkTls())) return;
    const head = await this.checkUpgrade();
    if (head === undefined) return;
    if (!this.checkSwitch(head)) return;
    if (!(await this.checkRoundTrip())) return;
    if (!(await this.checkClose())) return;
    this.report.healthy = true;
    this.report.exitCode = 0;
  }

  dispose(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  // --- bookkeeping ----------------------------------------------------------------------

  private step(name: StepName): DoctorStep {
    return this.report.steps.find((step) => step.name === name) as DoctorStep;
  }

  private pass(name: StepName, summary: string, durationMs?: number): true {
    const step = this.step(name);
    step.status = 'ok';
    step.summary = summary;
    if (durationMs !== undefined) step.durationMs = durationMs;
    return true;
  }

  private skip(name: StepName, summary: string): void {
    const step = this.step(name);
    step.status = 'skipped';
    step.summary = summary;
  }

  private fail(diagnosis: Diagnosis, durationMs?: number): false {
    const step = this.step(diagnosis.step);
    step.status = 'failed';
    step.summary = diagnosis.summary;
    if (durationMs !== undefined) step.durationMs = durationMs;
    this.report.diagnosis = diagnosis;
    this.report.exitCode = diagnosis.step === 'url' ? 2 : 1;
    this.log.event(`${diagnosis.code}: ${diagnosis.summary}`);
    return false;
  }

  private failWith(
    step: StepName,
    code: ErrorCode,
    parts: DiagnosisParts,
    durationMs?: number,
  ): false {
    return this.fail(diagnose(step, code, parts), durationMs);
  }

  private track(socket: Socket): void {
    this.sockets.push(socket);
    socket.on('error', () => {});
  }

  private get endpoint(): string {
    return `${isIP(this.address) === 6 ? `[${this.address}]` : this.address}:${this.target.port}`;
  }

  // --- url, dns, tcp, tls ---------------------------------------------------------------

  private checkUrl(): StepResult {
    const result = checkUrl(this.report.input);
    if (!result.ok) return this.fail(result.diagnosis);
    this.target = result.target;
    this.report.url = result.url;
    this.report.notes.push(...result.notes);
    return this.pass('url', result.url);
  }

  private async checkDns(): Promise<StepResult> {
    const host = this.target.host;
    if (isIP(host) !== 0) {
      this.address = host;
      this.skip('dns', `${host} is an IP address: nothing to resolve`);
      return true;
    }
    const result = await resolveHost(host, this.options.lookup, this.timeoutMs);
    if (!result.ok) {
      const code = result.error?.code ?? 'no address';
      const temporary = code === 'EAI_AGAIN' || code === 'ETIMEOUT';
      return this.failWith(
        'dns',
        'WSG_DNS_FAILED',
        {
          summary: `${host} did not resolve: ${code} after ${result.ms} ms.`,
          observed: [
            `lookup(${JSON.stringify(host)}): ${code}${result.error ? ` (${result.error.message})` : ''}, after ${result.ms} ms`,
          ],
          causes: temporary
            ? [
                'The DNS server did not answer in time, or is unreachable from here (a temporary failure).',
                'The network is down or a VPN is required.',
              ]
            : [
                `The name ${host} does not exist: a typo, or a name that only resolves inside another network (a container name, a VPN, another machine's /etc/hosts).`,
                'The DNS record was removed or not created yet.',
              ],
          fix: [
            `Check the spelling, then: getent hosts ${host}`,
            'Or probe the IP address directly to take DNS out of the picture.',
          ],
        },
        result.ms,
      );
    }
    this.address = result.addresses[0]?.address ?? '';
    const all = result.addresses.map((item) => item.address).join(', ');
    return this.pass('dns', `${host} → ${all} in ${result.ms} ms`, result.ms);
  }

  private async checkTcp(): Promise<StepResult> {
    const result = await connectTcp(this.address, this.target.port, this.timeoutMs, (socket) => {
      this.track(socket);
      if (!this.target.secure) this.capture?.track(socket, 'client');
    });
    this.log.event(
      result.ok
        ? `TCP connected to ${this.endpoint} from ${result.socket.localAddress}:${result.socket.localPort}`
        : `TCP to ${this.endpoint} failed: ${result.timedOut ? 'timeout' : (result.error?.code ?? 'error')}`,
    );
    if (result.ok) {
      if (!this.target.secure) this.wire = new Wire(result.socket);
      return this.pass('tcp', `connected to ${this.endpoint} in ${result.ms} ms`, result.ms);
    }
    const hostNote =
      this.target.host === this.address ? '' : ` (${this.target.host} resolved to ${this.address})`;
    if (result.timedOut) {
      return this.failWith(
        'tcp',
        'WSG_CONNECT_TIMEOUT',
        {
          summary: `No TCP connection to ${this.endpoint} within ${this.timeoutMs} ms${hostNote}.`,
          observed: [`connect(${this.endpoint}): no SYN-ACK within ${this.timeoutMs} ms`],
          causes: [
            'A firewall or security group silently drops packets to this port.',
            `The address ${this.address} is wrong or unreachable from this network.`,
            'The server is overloaded and its accept queue is full.',
          ],
          fix: [
            'Check firewalls and security groups for this port; try from a machine next to the server.',
          ],
        },
        result.ms,
      );
    }
    const error = result.error as NodeJS.ErrnoException;
    const code = classifySocketError(error);
    const observed = [
      `connect(${this.endpoint}): ${error.code ?? 'error'} (${error.message}) after ${result.ms} ms`,
    ];
    if (code === 'WSG_CONNECT_REFUSED') {
      return this.failWith(
        'tcp',
        code,
        {
          summary: `Connection refused by ${this.endpoint}${hostNote}: nothing listens there.`,
          observed,
          causes: [
            `No server listens on port ${this.target.port} at ${this.address}: it is not running, or listens on another port.`,
            'The server listens on another interface (127.0.0.1 versus 0.0.0.0 versus ::1): a name like localhost may resolve to the other one.',
            'A firewall actively rejects the connection.',
          ],
          fix: [
            `Start the server, or check what listens on the port: ss -ltnp 'sport = :${this.target.port}'`,
          ],
        },
        result.ms,
      );
    }
    return this.failWith(
      'tcp',
      code,
      { summary: `TCP to ${this.endpoint} failed: ${error.code ?? error.message}.`, observed },
      result.ms,
    );
  }

  private async checkTls(): Promise<StepResult> {
    if (!this.target.secure) {
      this.skip('tls', 'ws:// is not encrypted');
      return true;
    }
    const tcp = this.sockets[this.sockets.length - 1] as Socket;
    const result = await startTls(
      tcp,
      { host: this.target.host, ca: this.options.ca },
      this.timeoutMs,
      (socket) => {
        this.track(socket);
        this.capture?.track(socket, 'client');
      },
    );
    if (result.ok && result.authorized) {
      if (result.certificate !== undefined) this.report.certificate = result.certificate;
      const certificate = result.certificate;
      this.log.event(
        `TLS ${result.protocol ?? ''} established, certificate ${certificate?.subject ?? '(none)'}`,
      );
      this.wire = new Wire(result.socket);
      return this.pass(
        'tls',
        `${result.protocol ?? 'TLS'} in ${result.ms} ms; certificate ${certificate?.subject ?? '(none)'}, issued by ${certificate?.issuer ?? '(none)'}, valid until ${certificate?.validTo ?? '?'}`,
        result.ms,
      );
    }
    if (result.ok) {
      const certificate = result.certificate;
      if (certificate !== undefined) this.report.certificate = certificate;
      const problem = certificateProblems[result.authorizationError ?? ''];
      const what =
        problem?.what ?? `the certificate was not accepted (${result.authorizationError})`;
      result.socket.destroy();
      this.log.event(`TLS certificate refused: ${result.authorizationError}`);
      return this.failWith(
        'tls',
        'WSG_TLS_FAILED',
        {
          summary: `TLS to ${this.endpoint}: ${what} (${result.authorizationError}).`,
          observed: [
            `verification: ${result.authorizationError}`,
            ...(certificate === undefined
              ? ['the server sent no certificate']
              : [
                  `subject:  ${certificate.subject}`,
                  `issuer:   ${certificate.issuer}${certificate.selfSigned ? ' (self-signed)' : ''}`,
                  `valid:    ${certificate.validFrom} → ${certificate.validTo}`,
                  ...(certificate.subjectAltName === undefined
                    ? []
                    : [`names:    ${certificate.subjectAltName}`]),
                  ...(certificate.fingerprint256 === undefined
                    ? []
                    : [`sha256:   ${certificate.fingerprint256}`]),
                ]),
            `host checked: ${this.target.host}`,
            'nothing was sent over this connection: the doctor stops at a certificate it cannot trust, as browsers do',
          ],
          causes: problem?.causes ?? [],
          fix: problem?.fix ?? [],
        },
        result.ms,
      );
    }
    if (result.timedOut) {
      return this.failWith(
        'tls',
        'WSG_TLS_FAILED',
        {
          summary: `No TLS answer from ${this.endpoint} within ${this.timeoutMs} ms.`,
          observed: [`TLS ClientHello sent, nothing came back in ${this.timeoutMs} ms`],
          causes: [
            'The port does not speak TLS and waits for something else.',
            'A firewall or proxy holds the connection.',
          ],
          fix: [
            `If this port speaks plain HTTP, use ws://: wsgate doctor ${this.report.url?.replace(/^wss:/, 'ws:')}`,
          ],
        },
        result.ms,
      );
    }
    const error = result.error;
    const reason =
      (error as { reason?: string } | undefined)?.reason ?? (error?.message ?? '').split('\n')[0];
    const observed = [`TLS handshake: ${error?.code ?? 'error'} (${reason}) after ${result.ms} ms`];
    if (isPlainTextAnswer(error)) {
      const statusLine = await plainHttpStatusLine(
        this.address,
        this.target.port,
        `GET ${this.target.resource} HTTP/1.1\r\nHost: ${this.target.hostHeader}\r\n\r\n`,
        Math.min(this.timeoutMs, 2_000),
      );
      const plainUrl = this.report.url?.replace(/^wss:/, 'ws:') ?? '';
      return this.failWith(
        'tls',
        'WSG_TLS_FAILED',
        {
          summary: `This port speaks plain HTTP, use ws://: the TLS handshake got a non-TLS answer (${error?.code ?? 'wrong version number'}).`,
          observed: [
            ...observed,
            ...(statusLine === undefined
              ? []
              : [`the same port answers plain HTTP: ${statusLine}`]),
          ],
          causes: [
            `The server on port ${this.target.port} does not terminate TLS: it answered the TLS ClientHello in plain text.`,
            'TLS is terminated elsewhere (a proxy on port 443) and this is the plain backend port.',
          ],
          fix: [
            `Use ws:// for this port: wsgate doctor ${plainUrl}`,
            'Or enable TLS on the server (or its proxy) for this port.',
          ],
        },
        result.ms,
      );
    }
    const code = error === undefined ? 'WSG_TLS_FAILED' : classifySocketError(error);
    return this.failWith(
      'tls',
      code === 'WSG_CONNECTION_RESET' ? 'WSG_TLS_FAILED' : code,
      {
        summary: `The TLS handshake with ${this.endpoint} failed: ${error?.code ?? error?.message ?? 'closed'}.`,
        observed,
        causes: [
          'The server closed the connection during the TLS handshake: it may not speak TLS on this port, or refuses this TLS version, cipher or server name (SNI).',
        ],
        fix: [
          "Check the server's TLS configuration (protocols, certificates for this name) and its error log.",
        ],
      },
      result.ms,
    );
  }

  // --- the HTTP upgrade -----------------------------------------------------------------

  private async checkUpgrade(): Promise<HttpResponseHead | undefined> {
    const wire = this.wire as Wire;
    const key = generateClientKey();
    const extensionsOffer =
      this.options.perMessageDeflate === false ? undefined : formatDeflateOffer();
    const headers: Record<string, string> = { ...this.options.headers };
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent'))
      headers['User-Agent'] = 'wsgate-doctor';
    this.requestText = serializeClientRequest({
      host: this.target.hostHeader,
      path: this.target.resource,
      key,
      origin: this.options.origin,
      subprotocols: this.options.subprotocols,
      extensions: extensionsOffer,
      headers,
    });
    this.request = {
      url: this.report.url ?? '',
      secure: this.target.secure,
      resource: this.target.resource,
      key,
      origin: this.options.origin,
      subprotocols: this.options.subprotocols ?? [],
      extensionsOffer,
      headerNames: Object.keys(headers),
    };
    const sentAt = performance.now();
    wire.write(this.requestText);
    this.log.add({
      direction: 'sent',
      kind: 'head',
      summary: `GET ${this.target.resource} (upgrade request)`,
      text: this.requestText,
    });

    const parser = new HttpResponseParser();
    const deadline = deadlineIn(this.timeoutMs);
    const received: Buffer[] = [];
    for (;;) {
      const read = await wire.read(deadline);
      const elapsed = roundMs(performance.now() - sentAt);
      if (read.kind === 'data') {
        received.push(read.bytes);
        const all = Buffer.concat(received);
        if (!startsLikeHttp(all)) {
          this.log.add({
            direction: 'received',
            kind: 'bytes',
            summary: `${all.length} bytes that are not HTTP`,
            hex: toHex(all),
          });
          this.notHttp(all, elapsed);
          return undefined;
        }
        const result = parser.push(read.bytes);
        if (result.state === 'incomplete') continue;
        if (result.state === 'failed') {
          this.log.add({
            direction: 'received',
            kind: 'bytes',
            summary: 'an invalid HTTP head',
            hex: toHex(all),
            text: all.toString('latin1'),
          });
          this.failWith(
            'upgrade',
            'WSG_RESPONSE_MALFORMED',
            {
              summary: `The answer is not a valid HTTP/1.1 response head: ${result.detail}.`,
              observed: [
                `${all.length} bytes after ${elapsed} ms:`,
                ...all.toString('latin1').slice(0, 600).split('\r\n'),
              ],
              causes: [
                'The server (or a proxy) writes a broken HTTP head.',
                'The port speaks another protocol that happens to start like HTTP.',
              ],
              fix: ['Check what the server writes in answer to an upgrade request.'],
            },
            elapsed,
          );
          return undefined;
        }
        const head = result.head;
        const headText = all.subarray(0, all.length - result.rest.length).toString('latin1');
        this.log.add({
          direction: 'received',
          kind: 'head',
          summary: `HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd(),
          text: headText,
        });
        this.report.response = {
          statusLine: `HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd(),
          status: head.status,
          headers: head.rawHeaders,
          elapsedMs: elapsed,
        };
        if (head.status !== 101) {
          const body = await this.readBody(head, result.rest);
          this.report.response = { ...this.report.response, body };
          const verdict = diagnoseRefusal(head, body, this.request, elapsed);
          if (verdict.step !== 'upgrade')
            this.pass('upgrade', `${this.report.response.statusLine} in ${elapsed} ms`, elapsed);
          this.fail(verdict.diagnosis, verdict.step === 'upgrade' ? elapsed : undefined);
          return undefined;
        }
        this.step('upgrade').durationMs = elapsed;
        if (result.rest.length > 0) this.feed(result.rest);
        return head;
      }
      if (read.kind === 'end') {
        await this.noAnswer(Buffer.concat(received), read.error, elapsed);
        return undefined;
      }
      await this.noAnswerInTime(Buffer.concat(received), elapsed);
      return undefined;
    }
  }

  private async readBody(head: HttpResponseHead, rest: Uint8Array): Promise<string> {
    const wire = this.wire as Wire;
    let body = Buffer.from(rest);
    const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
    const declared = Number(head.headers['content-length'] ?? Number.NaN);
    const wanted = Number.isFinite(declared) ? Math.min(declared, MAX_BODY_BYTES) : MAX_BODY_BYTES;
    // RFC 9112 §6.3: a chunked body ends with a zero-size chunk, a sized one at its length, any
    // other at the close; a refusal's body is only read for a bounded time either way.
    const complete = (): boolean =>
      body.length >= wanted || (chunked && /(?:^|\r\n)0\r\n\r\n/.test(body.toString('latin1')));
    const deadline = deadlineIn(Math.min(this.timeoutMs, BODY_WAIT_MS));
    while (!complete()) {
      const read = await wire.read(deadline);
      if (read.kind !== 'data') break;
      body = Buffer.concat([body, read.bytes]);
    }
    // Chunk sizes count bytes: undo the framing on latin1 text (one character per byte), then decode.
    const payload = chunked
      ? Buffer.from(dechunk(body.toString('latin1')), 'latin1')
      : body.subarray(0, wanted);
    return payload.toString('utf8');
  }

  /** Bytes came back that are not HTTP: TLS from a ws:// request, or another protocol. */
  private notHttp(bytes: Buffer, elapsed: number): void {
    if (looksLikeTls(bytes)) {
      const alert = bytes[0] === 0x15;
      this.failWith(
        'upgrade',
        'WSG_RESPONSE_MALFORMED',
        {
          summary: `This port speaks TLS, use wss://: the answer to the plain upgrade request is a TLS ${alert ? 'alert' : 'record'}.`,
          observed: [
            `${bytes.length} bytes after ${elapsed} ms: ${toHex(bytes, 32)}`,
            `a TLS ${alert ? 'alert' : 'handshake'} record (type 0x${(bytes[0] as number).toString(16)}, version ${bytes[1]}.${bytes[2]})`,
          ],
          causes: ['The server on this port terminates TLS and cannot read a plain HTTP request.'],
          fix: [
            `Use wss:// for this port: wsgate doctor ${this.report.url?.replace(/^ws:/, 'wss:')}`,
          ],
        },
        elapsed,
      );
      return;
    }
    const printable = bytes
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.')
      .slice(0, 80);
    this.failWith(
      'upgrade',
      'WSG_RESPONSE_MALFORMED',
      {
        summary: `The port does not speak HTTP: the answer starts with ${JSON.stringify(printable.slice(0, 24))}.`,
        observed: [
          `${bytes.length} bytes after ${elapsed} ms: ${toHex(bytes, 64)}`,
          `as text: ${printable}`,
        ],
        causes: [
          'Another service listens on this port (a database, SSH, a mail server, a custom TCP protocol).',
          'The URL has the wrong port.',
        ],
        fix: ['Check which port the WebSocket server listens on.'],
      },
      elapsed,
    );
  }

  /** The connection closed before a complete head. */
  private async noAnswer(
    bytes: Buffer,
    error: NodeJS.ErrnoException | undefined,
    elapsed: number,
  ): Promise<void> {
    const how =
      error?.code === 'ECONNRESET' ? 'reset the connection (RST)' : 'closed the connection';
    this.log.event(
      `the server ${how} ${bytes.length === 0 ? 'without answering' : 'in the middle of its answer'}`,
    );
    if (bytes.length > 0) {
      this.failWith(
        'upgrade',
        'WSG_RESPONSE_MALFORMED',
        {
          summary: `The server ${how} in the middle of its answer, after ${bytes.length} bytes.`,
          observed: [
            `${bytes.length} bytes, then the end, after ${elapsed} ms:`,
            ...bytes.toString('latin1').slice(0, 600).split('\r\n'),
          ],
          causes: ['The server or a proxy crashed or timed out while answering.'],
          fix: ['Look at the server and proxy logs at the time of this request.'],
        },
        elapsed,
      );
      return;
    }
    const observed = [
      `the server ${how} ${elapsed} ms after the upgrade request, without sending a byte`,
    ];
    if (!this.target.secure) {
      const probe = await speaksTls(
        this.address,
        this.target.port,
        Math.min(this.timeoutMs, 2_000),
      );
      if (probe.tls) {
        this.failWith(
          'upgrade',
          'WSG_CONNECTION_RESET',
          {
            summary:
              'This port speaks TLS, use wss://: the server closed the plain request, and a TLS handshake on the same port succeeds.',
            observed: [
              ...observed,
              `a TLS handshake on the same port succeeded (${probe.protocol ?? 'TLS'})`,
            ],
            causes: ['The server on this port terminates TLS and drops requests that are not TLS.'],
            fix: [
              `Use wss:// for this port: wsgate doctor ${this.report.url?.replace(/^ws:/, 'wss:')}`,
            ],
          },
          elapsed,
        );
        return;
      }
    }
    this.failWith(
      'upgrade',
      'WSG_CONNECTION_RESET',
      {
        summary: `The server ${how} during the handshake without answering.`,
        observed,
        causes: [
          'The server does not handle this path and destroys the socket instead of answering 404 (common in WebSocket libraries).',
          'A proxy or load balancer dropped the connection (an idle or upstream timeout, a rule on Upgrade requests).',
          'The server rejected a header (origin, authentication) by closing the socket without a status.',
          ...(this.target.secure ? [] : ['The port expects another protocol.']),
        ],
        fix: [
          'Look at the server and proxy logs at the time of this request; try the path the server documents.',
        ],
      },
      elapsed,
    );
  }

  private async noAnswerInTime(bytes: Buffer, elapsed: number): Promise<void> {
    const causes = [
      'The server accepted the connection but never answered: it is stuck, overloaded, or waits for something else (a PROXY protocol header, another protocol).',
      'A proxy in between holds the request (buffering, an upstream that does not answer).',
    ];
    if (!this.target.secure) {
      const probe = await speaksTls(
        this.address,
        this.target.port,
        Math.min(this.timeoutMs, 2_000),
      );
      if (probe.tls)
        causes.unshift('This port speaks TLS (a TLS handshake on it succeeds): use wss://.');
    }
    this.failWith(
      'upgrade',
      'WSG_CONNECT_TIMEOUT',
      {
        summary: `No complete answer to the upgrade request within ${this.timeoutMs} ms${bytes.length > 0 ? ` (${bytes.length} bytes came)` : ''}.`,
        observed: [
          bytes.length === 0
            ? `nothing received in ${elapsed} ms`
            : `${bytes.length} bytes in ${elapsed} ms: ${toHex(bytes, 64)}`,
        ],
        causes,
        fix: [
          'Look at the server: is it running and answering other requests? Raise --timeout-ms if it is slow on purpose.',
        ],
      },
      elapsed,
    );
  }

  /** version, subprotocol, extensions: what the 101 says. */
  private checkSwitch(head: HttpResponseHead): StepResult {
    const request = this.request;
    const outcome = validateServerResponse(head, {
      key: request.key,
      subprotocols: request.subprotocols,
      extensionNames: request.extensionsOffer === undefined ? [] : [PERMESSAGE_DEFLATE],
    });
    const statusLine = this.report.response?.statusLine ?? '101';
    if (!outcome.ok) {
      const verdict = diagnoseBadSwitch(outcome.code, outcome.detail, head, request);
      if (verdict.step !== 'upgrade')
        this.pass('upgrade', `${statusLine} in ${this.report.response?.elapsedMs} ms`);
      if (verdict.step === 'subprotocol' || verdict.step === 'extensions')
        this.pass('version', 'Sec-WebSocket-Accept matches the key (RFC 6455, version 13)');
      if (verdict.step === 'extensions')
        this.passSubprotocol(head.headers['sec-websocket-protocol']?.trim());
      return this.fail(verdict.diagnosis);
    }
    this.pass(
      'upgrade',
      `${statusLine} in ${this.report.response?.elapsedMs} ms`,
      this.report.response?.elapsedMs,
    );
    this.pass('version', 'Sec-WebSocket-Accept matches the key (RFC 6455, version 13)');
    this.passSubprotocol(outcome.subprotocol);
    const accepted = outcome.extensions.find((extension) => extension.name === PERMESSAGE_DEFLATE);
    const agreement = accepted === undefined ? undefined : acceptDeflateResponse(accepted);
    if (accepted !== undefined && agreement === undefined) {
      return this.fail(
        diagnoseBadSwitch(
          'WSG_RESPONSE_EXTENSION_UNOFFERED',
          `the server's permessage-deflate parameters do not fit the offer: ${head.headers['sec-websocket-extensions']}`,
          head,
          request,
        ).diagnosis,
      );
    }
    this.deflate = accepted !== undefined;
    // The server's messages are inflated with the agreed window and context takeover (RFC 7692 §7.2.3).
    if (agreement !== undefined) this.codec = createSessionCompression(agreement, 'client').codec;
    this.pass(
      'extensions',
      accepted !== undefined
        ? `${head.headers['sec-websocket-extensions']} accepted`
        : request.extensionsOffer === undefined
          ? 'none offered, none accepted'
          : 'permessage-deflate offered, the server declined it (fine: messages go uncompressed)',
    );
    return true;
  }

  private passSubprotocol(chosen: string | undefined): void {
    const offered = this.request.subprotocols;
    if (offered.length === 0) {
      this.pass(
        'subprotocol',
        chosen === undefined ? 'none offered, none chosen' : `the server chose ${chosen}`,
      );
      return;
    }
    if (chosen === undefined) {
      this.report.notes.push(
        `The server chose none of the offered subprotocols (${offered.join(', ')}): browsers accept this, but an application that expects one may then close the connection.`,
      );
      this.pass('subprotocol', `none chosen from ${offered.join(', ')}`);
      return;
    }
    this.pass('subprotocol', `${chosen} chosen from ${offered.join(', ')}`);
  }

  // --- after the upgrade ----------------------------------------------------------------

  private send(opcode: number, payload: Uint8Array): void {
    const [frame] = encodeFrame(opcode, payload, { mask: true });
    const description = describeFrame({
      fin: true,
      rsv1: false,
      opcode,
      masked: true,
      length: payload.length,
    });
    this.lastSent = { description, hex: toHex(frame), atMs: roundMs(this.log.now()) };
    this.log.add({ direction: 'sent', kind: 'frame', summary: description, hex: toHex(frame) });
    this.wire?.write(frame);
  }

  private feed(bytes: Uint8Array): void {
    for (const frame of this.collector.push(bytes)) {
      this.log.add({
        direction: 'received',
        kind: 'frame',
        summary: describeFrame({ ...frame, length: frame.payload.length }),
        hex: toHex(
          Buffer.concat(
            encodeFrame(frame.opcode, frame.payload, { fin: frame.fin, rsv1: frame.rsv1 }),
          ),
        ),
      });
      this.pending.push(frame);
    }
  }

  /** The next frame from the server, read within `deadline`. */
  private async nextFrame(
    deadline: number,
  ): Promise<
    | { kind: 'frame'; frame: ServerFrame }
    | { kind: 'end'; error: NodeJS.ErrnoException | undefined }
    | { kind: 'timeout' }
    | { kind: 'fault'; detail: string }
  > {
    const wire = this.wire as Wire;
    for (;;) {
      const frame = this.pending.shift();
      if (frame !== undefined) return { kind: 'frame', frame };
      if (this.collector.fault !== undefined)
        return { kind: 'fault', detail: this.collector.fault };
      const read = await wire.read(deadline);
      if (read.kind === 'data') {
        this.feed(read.bytes);
        continue;
      }
      if (read.kind === 'end')
        this.log.event(
          read.error ? `TCP ${read.error.code ?? 'error'}` : 'TCP closed by the server',
        );
      return read;
    }
  }

  /**
   * Applies the RFC's client rules to a frame: faults fail the step (after closing with 1002),
   * pings are answered, data frames are assembled into messages. Returns the complete message,
   * a close frame, or nothing to report yet.
   */
  private async handleFrame(
    step: StepName,
    frame: ServerFrame,
  ): Promise<
    | { kind: 'message'; data: Buffer; isText: boolean }
    | { kind: 'close'; frame: ServerFrame }
    | { kind: 'pong'; payload: Buffer }
    | { kind: 'none' }
    | { kind: 'failed' }
  > {
    const fault = checkServerFrame(frame, this.deflate);
    if (fault !== undefined) {
      this.send(Opcode.close, encodeClosePayload(1002, fault.code));
      return this.failFrame(step, fault.code, fault.detail);
    }
    if (frame.opcode === Opcode.ping) {
      this.report.notes.push(
        `The server sent a ping (${frame.payload.length} bytes); the doctor answered with a pong.`,
      );
      this.send(Opcode.pong, frame.payload);
      return { kind: 'none' };
    }
    if (frame.opcode === Opcode.pong) return { kind: 'pong', payload: frame.payload };
    if (frame.opcode === Opcode.close) return { kind: 'close', frame };
    // RFC 6455 §5.4: a message is a first frame, continuations, and FIN on the last.
    if (frame.opcode === Opcode.continuation) {
      if (this.message === undefined) {
        this.send(Opcode.close, encodeClosePayload(1002, 'WSG_CONTINUATION_UNEXPECTED'));
        return this.failFrame(
          step,
          'WSG_CONTINUATION_UNEXPECTED',
          'the server sent a continuation frame outside a message',
        );
      }
      this.message.pieces.push(frame.payload);
    } else {
      if (this.message !== undefined) {
        this.send(Opcode.close, encodeClosePayload(1002, 'WSG_CONTINUATION_EXPECTED'));
        return this.failFrame(
          step,
          'WSG_CONTINUATION_EXPECTED',
          'the server started a new message inside a fragmented one',
        );
      }
      this.message = { opcode: frame.opcode, compressed: frame.rsv1, pieces: [frame.payload] };
    }
    if (!frame.fin) return { kind: 'none' };
    const message = this.message as { opcode: number; compressed: boolean; pieces: Buffer[] };
    this.message = undefined;
    let data: Buffer = Buffer.concat(message.pieces);
    if (message.compressed) {
      const inflated = this.codec?.decompress(data, MAX_DOCTOR_FRAME_BYTES) ?? ('invalid' as const);
      if (inflated === 'too-big') {
        this.send(Opcode.close, encodeClosePayload(1009, 'WSG_MESSAGE_TOO_BIG'));
        return this.failFrame(
          step,
          'WSG_MESSAGE_TOO_BIG',
          `a compressed message of ${data.length} bytes inflates to more than the doctor reads (${MAX_DOCTOR_FRAME_BYTES} bytes)`,
        );
      }
      if (inflated === 'invalid') {
        this.send(Opcode.close, encodeClosePayload(1007, 'WSG_COMPRESSED_DATA_INVALID'));
        return this.failFrame(
          step,
          'WSG_COMPRESSED_DATA_INVALID',
          `a compressed message of ${data.length} bytes does not inflate: ${toHex(data, 32)}`,
        );
      }
      data = Buffer.from(inflated.buffer, inflated.byteOffset, inflated.byteLength);
    }
    const isText = message.opcode === Opcode.text;
    if (isText && !isValidUtf8(data)) {
      this.send(Opcode.close, encodeClosePayload(1007, 'WSG_TEXT_INVALID_UTF8'));
      return this.failFrame(
        step,
        'WSG_TEXT_INVALID_UTF8',
        `a text message of ${data.length} bytes is not valid UTF-8: ${toHex(data, 32)}`,
      );
    }
    return { kind: 'message', data, isText };
  }

  private failFrame(step: StepName, code: ErrorCode, detail: string): { kind: 'failed' } {
    this.failWith(step, code, {
      summary: `The server broke RFC 6455: ${detail}.`,
      observed: [detail],
      causes: ["A bug in the server's frame writer, or a proxy that alters WebSocket frames."],
      fix: ["Fix the server's frame writer, or the proxy that changes frames."],
    });
    return { kind: 'failed' };
  }

  /**
   * Frames the server sent on its own before the doctor's first (a greeting that came with the
   * 101): noted, and never taken for the reply to --send.
   */
  private async readGreeting(): Promise<StepResult> {
    for (;;) {
      const frame = this.pending.shift();
      if (frame === undefined) return true;
      const handled = await this.handleFrame('echo', frame);
      if (handled.kind === 'failed') return false;
      if (handled.kind === 'close') return this.serverClosed('echo', handled.frame, 0);
      if (handled.kind === 'message')
        this.report.notes.push(
          `The server sent a ${handled.isText ? 'text' : 'binary'} message first: ${showMessage(handled.data, handled.isText)}`,
        );
    }
  }

  private async checkRoundTrip(): Promise<StepResult> {
    if (!(await this.readGreeting())) return false;
    const send = this.options.send;
    const kind = send === undefined ? 'ping' : 'echo';
    const payload =
      send === undefined
        ? Buffer.from(`wsgate-doctor ${randomBytes(4).toString('hex')}`)
        : Buffer.from(send, 'utf8');
    const startedAt = performance.now();
    this.send(send === undefined ? Opcode.ping : Opcode.text, payload);
    const sentText =
      send === undefined
        ? `ping ${JSON.stringify(payload.toString())}`
        : showMessage(payload, true);
    const deadline = deadlineIn(this.timeoutMs);
    for (;;) {
      const next = await this.nextFrame(deadline);
      const elapsed = roundMs(performance.now() - startedAt);
      if (next.kind === 'fault') return this.failFrameLength('echo', next.detail);
      if (next.kind === 'end') return this.lost('echo', next.error, elapsed);
      if (next.kind === 'timeout') {
        return this.failWith(
          'echo',
          'WSG_REPLY_TIMEOUT',
          {
            summary:
              send === undefined
                ? `No pong for the doctor's ping within ${this.timeoutMs} ms.`
                : `No reply to the message within ${this.timeoutMs} ms.`,
            observed: [
              `sent: ${sentText} at ${this.lastSent?.atMs} ms`,
              `nothing came back in ${elapsed} ms`,
            ],
            causes:
              send === undefined
                ? [
                    'The server does not answer pings (RFC 6455 §5.5.2 requires a pong).',
                    'A proxy between holds frames back (buffering).',
                  ]
                : [
                    'This endpoint does not answer this message (it is not an echo, or expects another format).',
                    'A proxy between holds frames back (buffering).',
                    'The server is slow or stuck handling messages.',
                  ],
            fix:
              send === undefined
                ? ['Fix the server to answer pings.']
                : [
                    'Send a message the endpoint answers (--send), or check its handler; without --send the doctor checks the connection with a ping.',
                  ],
          },
          elapsed,
        );
      }
      const handled = await this.handleFrame('echo', next.frame);
      if (handled.kind === 'failed') return false;
      if (handled.kind === 'close') return this.serverClosed('echo', handled.frame, elapsed);
      if (handled.kind === 'none') continue;
      if (handled.kind === 'pong') {
        if (send === undefined && handled.payload.equals(payload)) {
          this.report.roundTrip = {
            kind,
            sent: sentText,
            received: `pong ${JSON.stringify(handled.payload.toString())}`,
            elapsedMs: elapsed,
          };
          return this.pass('echo', `ping answered by a pong in ${elapsed} ms`, elapsed);
        }
        this.report.notes.push(
          `The server sent a pong that does not match the doctor's ping (${handled.payload.length} bytes).`,
        );
        continue;
      }
      const shown = showMessage(handled.data, handled.isText);
      if (send === undefined) {
        this.report.notes.push(
          `The server sent a ${handled.isText ? 'text' : 'binary'} message first: ${shown}`,
        );
        continue;
      }
      this.report.roundTrip = { kind, sent: sentText, received: shown, elapsedMs: elapsed };
      const echoed = handled.isText && handled.data.equals(payload);
      return this.pass(
        'echo',
        `${echoed ? 'echoed' : `replied ${shown}`} in ${elapsed} ms`,
        elapsed,
      );
    }
  }

  private failFrameLength(step: StepName, detail: string): false {
    return this.failWith(step, 'WSG_FRAME_LENGTH_INVALID', {
      summary: `The doctor could not read a frame from the server: ${detail}.`,
      observed: [detail],
      causes: ['The server wrote an invalid or huge frame header.'],
      fix: ["Check the server's frame writer."],
    });
  }

  /** TCP ended without a close frame: 1006. */
  private lost(step: StepName, error: NodeJS.ErrnoException | undefined, elapsed: number): false {
    this.report.close = { initiatedBy: 'server', code: 1006, reason: '' };
    return this.failWith(
      step,
      'WSG_CONNECTION_LOST',
      {
        summary: `The server ${error?.code === 'ECONNRESET' ? 'reset' : 'closed'} the TCP connection without a close frame (1006: ${closeCodeMeaning(1006)}).`,
        observed: [
          `TCP ${error?.code === 'ECONNRESET' ? 'reset (RST)' : 'closed (FIN)'} ${elapsed} ms after: ${this.lastSent?.description ?? 'the handshake'}`,
          ...(this.lastSent === undefined ? [] : [`the doctor's last frame: ${this.lastSent.hex}`]),
        ],
        causes: [
          `The server crashed or dropped the connection on ${this.lastSent?.description ?? 'this frame'}.`,
          'A proxy between closed the connection (an idle timeout, a frame it does not like).',
        ],
        fix: [
          'Look at the server log at this time: a crash or an unhandled error usually shows there.',
        ],
      },
      elapsed,
    );
  }

  /** The server sent a close frame before the doctor's close: answer it, then explain it. */
  private async serverClosed(step: StepName, frame: ServerFrame, elapsed: number): Promise<false> {
    // The frame the server answered, before our reply to its close replaces it.
    const lastSent = this.lastSent;
    const parsed = parseClosePayload(frame.payload);
    if (!parsed.valid) {
      this.send(Opcode.close, encodeClosePayload(1002, parsed.fault));
      this.failFrame(
        step,
        parsed.fault,
        `the server sent an invalid close frame: ${toHex(frame.payload, 32)}`,
      );
      return false;
    }
    const { code, reason } = parsed;
    // RFC 6455 §5.5.1: answer a close frame with a close frame, usually echoing the code.
    this.send(
      Opcode.close,
      isValidWireCloseCode(code) ? encodeClosePayload(code) : new Uint8Array(0),
    );
    await this.awaitTcpClose();
    const reasonCode = closeReasonCode(reason);
    this.report.close = {
      initiatedBy: 'server',
      code,
      reason,
      ...(reasonCode === undefined ? {} : { reasonCode }),
    };
    const closeLine = `close frame from the server: ${code} (${closeCodeMeaning(code)})${reason === '' ? ', no reason' : `, reason ${JSON.stringify(reason)}`}`;
    const observed = [
      closeLine,
      ...(lastSent === undefined
        ? []
        : [
            `${elapsed} ms after the doctor sent: ${lastSent.description}`,
            `that frame's bytes: ${lastSent.hex}`,
          ]),
    ];
    if (reasonCode !== undefined) {
      return this.failWith(
        step,
        reasonCode,
        {
          summary: `The server closed with ${code} ${reasonCode}: ${catalogue[reasonCode].title}.`,
          observed,
          causes: [
            `A wsgate server names the rule: ${describeCode(reasonCode)}.`,
            ...(code === 1002 && lastSent !== undefined
              ? [`It objected to the doctor's ${lastSent.description}.`]
              : []),
          ],
          serverCode: reasonCode,
        },
        elapsed,
      );
    }
    const candidates = codesForCloseCode(code);
    const advice = closeAdvice(code, lastSent?.description, this.deflate, this.options.send);
    const causes = [...advice.causes];
    if (candidates.length > 0) {
      causes.push(
        `wsgate closes with ${code} for: ${candidates.map((candidate) => `${candidate} (${catalogue[candidate].title})`).join('; ')}.`,
      );
    }
    return this.failWith(
      step,
      'WSG_CLOSE_UNEXPECTED',
      {
        summary: `The server closed the connection with ${code} (${closeCodeMeaning(code)})${reason === '' ? '' : `: ${JSON.stringify(reason)}`}.`,
        observed,
        causes,
        fix: advice.fix,
      },
      elapsed,
    );
  }

  private async checkClose(): Promise<StepResult> {
    const startedAt = performance.now();
    this.send(Opcode.close, encodeClosePayload(1000, 'wsgate doctor: done'));
    const deadline = deadlineIn(this.timeoutMs);
    for (;;) {
      const next = await this.nextFrame(deadline);
      const elapsed = roundMs(performance.now() - startedAt);
      if (next.kind === 'fault') return this.failFrameLength('close', next.detail);
      if (next.kind === 'end') {
        this.report.close = { initiatedBy: 'doctor', code: 1006, reason: '' };
        return this.failWith(
          'close',
          'WSG_CONNECTION_LOST',
          {
            summary:
              'The server closed TCP without answering the close frame (1006: no close frame).',
            observed: [
              `the doctor sent close 1000; TCP ${next.error?.code === 'ECONNRESET' ? 'was reset' : 'closed'} ${elapsed} ms later without a close frame`,
            ],
            causes: [
              'The server does not implement the closing handshake (RFC 6455 §5.5.1, §7.1.2): browsers report such a close as 1006, not clean.',
            ],
            fix: ['Fix the server to answer a close frame with a close frame before closing TCP.'],
          },
          elapsed,
        );
      }
      if (next.kind === 'timeout') {
        this.report.close = { initiatedBy: 'doctor', code: 1006, reason: '' };
        return this.failWith(
          'close',
          'WSG_CLOSE_TIMEOUT',
          {
            summary: `The server did not answer the close frame within ${this.timeoutMs} ms.`,
            observed: [
              `the doctor sent close 1000 "wsgate doctor: done"; nothing came back in ${elapsed} ms`,
            ],
            causes: ['The server ignores close frames, or is stuck.'],
            fix: ['Fix the server to answer a close frame with a close frame (RFC 6455 §5.5.1).'],
          },
          elapsed,
        );
      }
      const frame = next.frame;
      if (frame.opcode !== Opcode.close) {
        // Data and pongs may still arrive after our close (RFC 6455 §5.5.1); they are noted.
        const fault = checkServerFrame(frame, this.deflate);
        if (fault !== undefined) {
          this.failFrame('close', fault.code, fault.detail);
          return false;
        }
        continue;
      }
      const parsed = parseClosePayload(frame.payload);
      if (!parsed.valid) {
        this.failFrame(
          'close',
          parsed.fault,
          `the server answered with an invalid close frame: ${toHex(frame.payload, 32)}`,
        );
        return false;
      }
      const reasonCode = closeReasonCode(parsed.reason);
      this.report.close = {
        initiatedBy: 'doctor',
        code: parsed.code,
        reason: parsed.reason,
        ...(reasonCode === undefined ? {} : { reasonCode }),
      };
      const closedTcp = await this.awaitTcpClose();
      if (!closedTcp) {
        this.report.notes.push(
          `The server answered the close frame but did not close TCP within ${TCP_CLOSE_WAIT_MS} ms (RFC 6455 §7.1.1 has the server close it first); the doctor closed it.`,
        );
      }
      const answered = `${parsed.code} (${closeCodeMeaning(parsed.code)})${parsed.reason === '' ? '' : ` ${JSON.stringify(parsed.reason)}`}`;
      if (parsed.code === 1000 || parsed.code === 1001 || parsed.code === 1005) {
        return this.pass(
          'close',
          `the server answered close ${answered} in ${elapsed} ms${closedTcp ? ' and closed TCP' : ''}`,
          elapsed,
        );
      }
      return this.failWith(
        'close',
        reasonCode ?? 'WSG_CLOSE_UNEXPECTED',
        {
          summary: `The server answered the doctor's normal close (1000) with ${answered}.`,
          observed: [`close frame from the server: ${answered}`],
          causes: [
            'The server treats the closing handshake as an error, or reports an error that happened earlier.',
          ],
          fix: ['Check the server log for this connection.'],
          ...(reasonCode === undefined ? {} : { serverCode: reasonCode }),
        },
        elapsed,
      );
    }
  }

  /** Waits for the server to close TCP after the closing handshake, then closes our side. */
  private async awaitTcpClose(): Promise<boolean> {
    const wire = this.wire as Wire;
    const deadline = deadlineIn(Math.min(this.timeoutMs, TCP_CLOSE_WAIT_MS));
    let closed = false;
    for (;;) {
      const read = await wire.read(deadline);
      if (read.kind === 'data') continue;
      closed = read.kind === 'end';
      break;
    }
    if (closed) this.log.event('TCP closed by the server');
    const socket = wire.socket;
    if (!socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
    return closed;
  }
}

/**
 * What a close code from a server that does not name a wsgate code likely means here, and what
 * to do: the doctor knows the frame it sent just before (RFC 6455 §7.4.1 for the codes).
 */
function closeAdvice(
  code: number,
  lastSent: string | undefined,
  deflate: boolean,
  send: string | undefined,
): { causes: string[]; fix: string[] } {
  const frame = lastSent ?? 'frame';
  const logFix = 'Look at the server log at the time of this close.';
  switch (code) {
    case 1000:
    case 1001:
      return {
        causes: [
          `The server ended the connection (${closeCodeMeaning(code)}) instead of answering: it may close connections it does not expect (authentication, a missing first message).`,
          ...(code === 1001 ? ['The server is restarting or shutting down.'] : []),
        ],
        fix: [
          'Send what the endpoint expects first (--send), with the credentials it needs (--header); retry if it was restarting.',
        ],
      };
    case 1002:
      return {
        causes: [
          `The server rejected the doctor's ${frame}, which is valid RFC 6455: a bug in the server's parser, or a proxy that alters frames.`,
          ...(deflate
            ? [
                'The server and the doctor disagree about permessage-deflate (RSV1): the server accepted it but does not handle it.',
              ]
            : []),
        ],
        fix: [
          'Check the server log for the frame it refused; compare with the bytes above (--capture FILE shows them in Wireshark).',
          ...(deflate
            ? ['Retry with --no-deflate to see whether compression is the trouble.']
            : []),
        ],
      };
    case 1003:
      return {
        causes: [
          `The endpoint does not accept this type of message (the doctor sent a ${frame}): it expects ${send === undefined ? 'other messages' : 'binary rather than text, or the reverse'}.`,
        ],
        fix: ["Send the message type the endpoint expects; check the application's protocol."],
      };
    case 1007:
      return {
        causes: [
          `The server found the doctor's ${frame} invalid for its type: the application could not decode it (it expects another format or encoding).`,
        ],
        fix: ['Send a message in the format the endpoint expects (--send).', logFix],
      };
    case 1008:
      return {
        causes: [
          'The application refused the message or the connection by its own rules: credentials it expects (in the URL, a cookie or the first message), a message format it does not accept, or a rate limit.',
          ...(send === undefined
            ? []
            : [
                `The message sent (--send ${JSON.stringify(send)}) is not one the endpoint accepts.`,
              ]),
        ],
        fix: [
          "Send the message the application expects (--send '…'), with the credentials it needs (--header 'Cookie: …', --header 'Authorization: …', or a token in the URL).",
          "Check the application's rules for this endpoint; the close reason, when there is one, says which.",
        ],
      };
    case 1009:
      return {
        causes: [`The doctor's ${frame} is larger than this server accepts for one message.`],
        fix: [
          "Send smaller messages, or raise the server's message size limit (ws: maxPayload; wsgate: maxMessageBytes).",
        ],
      };
    case 1011:
      return {
        causes: [
          `The server failed while handling the doctor's ${frame}: an exception in its message handler.`,
        ],
        fix: [`${logFix} The exception and its stack trace are usually there.`],
      };
    case 1012:
    case 1013:
      return {
        causes: [
          code === 1012
            ? 'The server is restarting.'
            : 'The server is overloaded, or finds this client too slow.',
        ],
        fix: ['Retry later, with backoff.'],
      };
    case 1014:
      return {
        causes: [
          'A gateway in front of the server got an invalid answer from the server behind it.',
        ],
        fix: ["Check the upstream's health and the gateway's log."],
      };
    default:
      if (code >= 4000 && code <= 4999) {
        return {
          causes: [
            `${code} is the application's own code: its meaning is the application's, and the reason (if any) is its explanation.`,
          ],
          fix: [`Look up close code ${code} in the application's documentation or source.`],
        };
      }
      return {
        causes: [`The server closed with ${code}: ${closeCodeMeaning(code)}.`],
        fix: ["Check the server log and the application's rules for this close code."],
      };
  }
}

/** Whether bytes so far can be the start of "HTTP/". */
function startsLikeHttp(bytes: Buffer): boolean {
  const prefix = 'HTTP/';
  const n = Math.min(bytes.length, prefix.length);
  return bytes.subarray(0, n).toString('latin1') === prefix.slice(0, n);
}

/** The payload of a chunked body (RFC 9112 §7.1), as far as it came. */
function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd === -1) break;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return out;
}
