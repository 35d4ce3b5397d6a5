import type { LookupFunction } from 'node:net';
import type { CaptureSetting, ErrorCode } from '@wsgate/core';

/** The checks, in the order they run; the doctor stops at the first that fails. */
export const stepNames = [
  'url',
  'dns',
  'tcp',
  'tls',
  'upgrade',
  'version',
  'subprotocol',
  'extensions',
  'echo',
  'close',
] as const;
export type StepName = (typeof stepNames)[number];

/** "not-run": an earlier step failed. "skipped": the step does not apply (no DNS for an IP). */
export type StepStatus = 'ok' | 'failed' | 'skipped' | 'not-run';

export interface DoctorStep {
  readonly name: StepName;
  status: StepStatus;
  /** One line: what was checked and what came out. */
  summary: string;
  /** How long the step took, in milliseconds. */
  durationMs?: number;
}

/** Exit codes of `wsgate doctor`, for scripts. */
export const DoctorExitCode = {
  /** Every step passed. */
  healthy: 0,
  /** The endpoint fails a step. */
  failing: 1,
  /** The command line or the URL is wrong: nothing was probed. */
  usage: 2,
} as const;
export type DoctorExitCode = (typeof DoctorExitCode)[keyof typeof DoctorExitCode];

/** What went wrong at the failing step, and what to do. */
export interface Diagnosis {
  readonly step: StepName;
  /** The catalogue code of the failure. */
  readonly code: ErrorCode;
  /** The catalogue title. */
  readonly title: string;
  /** One line about this occurrence. */
  readonly summary: string;
  /** What was seen: status line and headers, bytes, close frames, timings. */
  readonly observed: readonly string[];
  /** The likely causes, most likely first. */
  readonly causes: readonly string[];
  /** What to do, most useful first. */
  readonly fix: readonly string[];
  /** The code a wsgate server named (X-WSGate-Error, its body, or its close reason). */
  readonly serverCode?: ErrorCode;
}

export interface ExchangeEntry {
  /** Milliseconds since the doctor started. */
  readonly atMs: number;
  readonly direction: 'sent' | 'received' | 'event';
  /** A head, a frame, bytes that are neither, or an event (connect, close, TLS). */
  readonly kind: 'head' | 'frame' | 'bytes' | 'event';
  readonly summary: string;
  /** Heads as text. */
  readonly text?: string;
  /** Frames and unknown bytes in hex (the first 512 bytes). */
  readonly hex?: string;
}

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly subjectAltName?: string;
  readonly fingerprint256?: string;
  readonly selfSigned: boolean;
}

export interface ResponseInfo {
  readonly statusLine: string;
  readonly status: number;
  /** Names and values as received, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body of a refusal (up to 16 KiB), as text. */
  readonly body?: string;
  /** Milliseconds from sending the request to the complete head. */
  readonly elapsedMs: number;
}

export interface CloseInfo {
  /** Who sent the first close frame. */
  readonly initiatedBy: 'doctor' | 'server';
  /** The server's close code; 1005 when its frame had none, 1006 when it sent none. */
  readonly code: number;
  readonly reason: string;
  /** The catalogue code a wsgate close reason starts with. */
  readonly reasonCode?: ErrorCode;
}

/** What a wss:// server offers of WebSockets over HTTP/2 (RFC 8441), after a healthy probe. */
export interface Http2Info {
  /** Whether the TLS connection agreed on h2 (ALPN) and the server sent its SETTINGS. */
  readonly offered: boolean;
  /** Whether those SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3). */
  readonly connectProtocol: boolean;
  /** `ok` when a WebSocket over HTTP/2 opened and closed; else what failed; undefined when not tried. */
  readonly websocket: string | undefined;
}

export interface DoctorReport {
  /** The URL as given. */
  readonly input: string;
  /** The URL probed, after mapping http(s) to ws(s). */
  url: string | undefined;
  healthy: boolean;
  exitCode: DoctorExitCode;
  readonly steps: DoctorStep[];
  diagnosis: Diagnosis | undefined;
  /** Remarks that are not failures: a mapped scheme, a missing path, a server that sent a greeting. */
  readonly notes: string[];
  certificate?: CertificateInfo;
  response?: ResponseInfo;
  /** The echo or ping round trip. */
  roundTrip?: {
    readonly kind: 'echo' | 'ping';
    readonly sent: string;
    readonly received: string;
    readonly elapsedMs: number;
  };
  close?: CloseInfo;
  /** For a healthy wss:// endpoint: its support of WebSockets over HTTP/2. */
  http2?: Http2Info;
  /** Every head, frame and event, for --verbose. */
  readonly exchange: ExchangeEntry[];
  capture?: {
    readonly file: string;
    readonly bytesWritten: number;
    readonly truncated: boolean;
    readonly note?: string;
  };
  durationMs: number;
}

export interface DoctorOptions {
  /** Send this text message after the handshake and wait for a reply (else: a ping and its pong). */
  readonly send?: string | undefined;
  /** Origin header to send (browsers always send one; servers often check it). */
  readonly origin?: string | undefined;
  /** Extra request headers, e.g. Authorization or Cookie. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Subprotocols to offer (Sec-WebSocket-Protocol). */
  readonly subprotocols?: readonly string[] | undefined;
  /** Extra CA certificates to trust (PEM); replaces the default trust store, as Node's `ca` does. */
  readonly ca?: string | Buffer | undefined;
  /** Bound on each step (connect, TLS, answer, round trip, close), in milliseconds. */
  readonly timeoutMs?: number | undefined;
  /** Offer permessage-deflate as browsers do (default true). */
  readonly perMessageDeflate?: boolean | undefined;
  /** Host name resolution, as for `net.connect` (tests inject failures with it). */
  readonly lookup?: LookupFunction | undefined;
  /** Write the exchange as pcapng: a file name, or a capture shared with other connections. */
  readonly capture?: string | CaptureSetting | undefined;
}

export const DEFAULT_DOCTOR_TIMEOUT_MS = 10_000;
