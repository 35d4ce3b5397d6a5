import { readFileSync } from 'node:fs';
import { selfSignedCertificate } from './self-signed.js';

/** A TLS identity in PEM. */
export interface DemoTls {
  readonly cert: string;
  readonly key: string;
}

export interface DemoConfig {
  readonly host: string;
  readonly port: number;
  /** Largest message on /echo, in bytes (MAX_PAYLOAD, default 16 MiB). */
  readonly maxPayloadBytes: number;
  /** Allowed origins (ALLOWED_ORIGINS, comma-separated); undefined allows every origin. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** When set (DEMO_TOKEN), `/chat` takes only handshakes with `?token=` equal to it. */
  readonly chatToken: string | undefined;
  /**
   * With TLS=1: HTTPS with HTTP/2 and HTTP/1.1 on one port, with the certificate and key of the
   * TLS_CERT and TLS_KEY files, or a self-signed one for localhost and 127.0.0.1 made at start.
   */
  readonly tls: DemoTls | undefined;
}

function readTls(env: NodeJS.ProcessEnv): DemoTls | undefined {
  if (env.TLS !== '1' && env.TLS !== 'true') return undefined;
  const certFile = env.TLS_CERT || undefined;
  const keyFile = env.TLS_KEY || undefined;
  if (certFile === undefined && keyFile === undefined) return selfSignedCertificate();
  if (certFile === undefined || keyFile === undefined)
    throw new Error(
      'TLS_CERT and TLS_KEY go together: set both files, or neither for a self-signed certificate',
    );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * Reads HOST, PORT, MAX_PAYLOAD, ALLOWED_ORIGINS, TLS, TLS_CERT, TLS_KEY (see
 * shared/DEMO-CONTRACT.md) and DEMO_TOKEN.
 */
export function readDemoConfig(
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): DemoConfig {
  const origins = env.ALLOWED_ORIGINS?.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', defaultPort),
    maxPayloadBytes: integer(env, 'MAX_PAYLOAD', 16 * 1024 * 1024),
    allowedOrigins: origins === undefined || origins.length === 0 ? undefined : origins,
    chatToken: env.DEMO_TOKEN || undefined,
    tls: readTls(env),
  };
}

/** The URL an app prints once it listens; tests read it to find the port. */
export function listeningMessage(name: string, host: string, port: number, secure = false): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  const scheme = secure ? 'https' : 'http';
  const over = secure ? ', over HTTP/2 and HTTP/1.1' : '';
  return `${name} listening on ${scheme}://${shown}:${port}/ (WebSocket endpoints: /echo, /chat, /live${over})`;
}
