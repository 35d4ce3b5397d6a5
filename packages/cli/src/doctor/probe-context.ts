import { isIP, type Socket } from 'node:net';
import type { Capture, ErrorCode } from '@wsgate/core';
import type { WebSocketUrl } from '@wsgate/core/adapter';
import type { HttpResponseHead } from '@wsgate/core/protocol';
import type { RequestContext } from './answer/request-context.js';
import { type DiagnosisParts, diagnose } from './diagnosis.js';
import type { ExchangeLog } from './exchange-log.js';
import type { ObservedCodec } from './observed-codec.js';
import type { SessionReader } from './session-reader.js';
import {
  DEFAULT_DOCTOR_TIMEOUT_MS,
  type Diagnosis,
  type DoctorOptions,
  type DoctorReport,
  type DoctorStep,
  type StepName,
} from './types.js';
import type { Wire } from './wire.js';

/**
 * What the steps of one probe share: the report they fill in, the exchange log, the options,
 * and what each step leaves for the next (the address, the socket, the request, the 101).
 * A step returns true to go on; a failing step records its diagnosis and returns false.
 */
export class ProbeContext {
  readonly timeoutMs: number;
  readonly sockets: Socket[] = [];
  /** Set by the url step. */
  target!: WebSocketUrl;
  /** Set by the dns step: the address connected to. */
  address = '';
  /** Set by the tcp step (ws://) or the tls step (wss://). */
  wire: Wire | undefined;
  /** Set by the upgrade step: what the doctor asked for. */
  request!: RequestContext;
  /** Set by the upgrade step: the 101 and the bytes that came after it. */
  switched: { readonly head: HttpResponseHead; readonly rest: Uint8Array } | undefined;
  /** Set by the switch step: the connection after the 101. */
  reader: SessionReader | undefined;
  /** Whether permessage-deflate was agreed. */
  deflate = false;
  /** Set by the switch step when permessage-deflate was agreed: core's codec, observed. */
  codec: ObservedCodec | undefined;

  constructor(
    readonly report: DoctorReport,
    readonly log: ExchangeLog,
    readonly options: DoctorOptions,
    readonly capture: Capture | undefined,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  }

  dispose(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  track(socket: Socket): void {
    this.sockets.push(socket);
    socket.on('error', () => {});
  }

  /** "127.0.0.1:8080", "[::1]:8080". */
  get endpoint(): string {
    return `${isIP(this.address) === 6 ? `[${this.address}]` : this.address}:${this.target.port}`;
  }

  step(name: StepName): DoctorStep {
    return this.report.steps.find((step) => step.name === name) as DoctorStep;
  }

  pass(name: StepName, summary: string, durationMs?: number): true {
    const step = this.step(name);
    step.status = 'ok';
    step.summary = summary;
    if (durationMs !== undefined) step.durationMs = durationMs;
    return true;
  }

  skip(name: StepName, summary: string): true {
    const step = this.step(name);
    step.status = 'skipped';
    step.summary = summary;
    return true;
  }

  fail(diagnosis: Diagnosis, durationMs?: number): false {
    const step = this.step(diagnosis.step);
    step.status = 'failed';
    step.summary = diagnosis.summary;
    if (durationMs !== undefined) step.durationMs = durationMs;
    this.report.diagnosis = diagnosis;
    this.report.exitCode = diagnosis.step === 'url' ? 2 : 1;
    this.log.event(`${diagnosis.code}: ${diagnosis.summary}`);
    return false;
  }

  failWith(step: StepName, code: ErrorCode, parts: DiagnosisParts, durationMs?: number): false {
    return this.fail(diagnose(step, code, parts), durationMs);
  }
}
