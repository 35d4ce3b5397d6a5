import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { roundMs } from './exchange-log.js';
import type { CertificateInfo } from './types.js';

export type Resolution =
  | {
      readonly ok: true;
      readonly addresses: readonly { address: string; family: number }[];
      readonly ms: number;
    }
  | { readonly ok: false; readonly error: NodeJS.ErrnoException | undefined; readonly ms: number };

/** Resolves a host name with `lookup` (dns.lookup by default), all addresses, within `timeoutMs`. */
export function resolveHost(
  host: string,
  lookup: LookupFunction | undefined,
  timeoutMs: number,
): Promise<Resolution> {
  const started = performance.now();
  const elapsed = (): number => roundMs(performance.now() - started);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`no answer within ${timeoutMs} ms`);
      error.code = 'ETIMEOUT';
      resolve({ ok: false, error, ms: elapsed() });
    }, timeoutMs);
    const done = (
      error: NodeJS.ErrnoException | null,
      address: string | readonly { address: string; family: number }[],
      family?: number,
    ): void => {
      clearTimeout(timer);
      if (error) {
        resolve({ ok: false, error, ms: elapsed() });
        return;
      }
      const addresses =
        typeof address === 'string' ? [{ address, family: family ?? isIP(address) }] : [...address];
      if (addresses.length === 0) resolve({ ok: false, error: undefined, ms: elapsed() });
      else resolve({ ok: true, addresses, ms: elapsed() });
    };
    try {
      (lookup ?? (dnsLookup as unknown as LookupFunction))(host, { all: true }, done as never);
    } catch (error) {
      done(error as NodeJS.ErrnoException, []);
    }
  });
}

export type TcpResult =
  | { readonly ok: true; readonly socket: Socket; readonly ms: number }
  | {
      readonly ok: false;
      readonly error: NodeJS.ErrnoException | undefined;
      readonly timedOut: boolean;
      readonly ms: number;
    };

/** Opens TCP to an address (no resolution here: the DNS step did it). */
export function connectTcp(
  address: string,
  port: number,
  timeoutMs: number,
  onSocket: (socket: Socket) => void,
): Promise<TcpResult> {
  const started = performance.now();
  const elapsed = (): number => roundMs(performance.now() - started);
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    onSocket(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: undefined, timedOut: true, ms: elapsed() });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve({ ok: true, socket, ms: elapsed() });
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      resolve({ ok: false, error, timedOut: false, ms: elapsed() });
    };
    socket.once('error', onError);
  });
}

export type TlsResult =
  | {
      readonly ok: true;
      readonly socket: TLSSocket;
      readonly authorized: boolean;
      readonly authorizationError: string | undefined;
      readonly certificate: CertificateInfo | undefined;
      readonly protocol: string | null;
      readonly alpn: string | false | null;
      readonly ms: number;
    }
  | {
      readonly ok: false;
      readonly error: NodeJS.ErrnoException | undefined;
      readonly timedOut: boolean;
      readonly ms: number;
    };

function formatName(name: Record<string, string | string[]> | undefined): string {
  if (name === undefined) return '(none)';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

export function certificateInfo(certificate: PeerCertificate): CertificateInfo | undefined {
  if (certificate === undefined || Object.keys(certificate).length === 0) return undefined;
  const subject = formatName(certificate.subject as unknown as Record<string, string>);
  const issuer = formatName(certificate.issuer as unknown as Record<string, string>);
  return {
    subject,
    issuer,
    validFrom: certificate.valid_from,
    validTo: certificate.valid_to,
    ...(certificate.subjectaltname === undefined
      ? {}
      : { subjectAltName: certificate.subjectaltname }),
    ...(certificate.fingerprint256 === undefined
      ? {}
      : { fingerprint256: certificate.fingerprint256 }),
    selfSigned: subject === issuer,
  };
}

/**
 * The TLS handshake over an open TCP socket. Verification is done here rather than by Node
 * refusing the connection, so that a failing certificate can still be shown: `authorized` and
 * `authorizationError` carry the verdict (chain and host name, as Node checks them), and nothing
 * is sent over a connection that is not authorized.
 */
export function startTls(
  tcp: Socket,
  options: { readonly host: string; readonly ca: string | Buffer | undefined },
  timeoutMs: number,
  onSocket: (socket: TLSSocket) => void,
): Promise<TlsResult> {
  const started = performance.now();
  const elapsed = (): number => roundMs(performance.now() - started);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      socket: tcp,
      host: options.host,
      // RFC 6066 §3: SNI carries host names only, never IP addresses.
      servername: isIP(options.host) === 0 ? options.host : '',
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    onSocket(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: undefined, timedOut: true, ms: elapsed() });
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      const error = socket.authorizationError as unknown as Error | string | null | undefined;
      resolve({
        ok: true,
        socket,
        authorized: socket.authorized,
        authorizationError:
          error === null || error === undefined
            ? undefined
            : typeof error === 'string'
              ? error
              : ((error as NodeJS.ErrnoException).code ?? error.message),
        certificate: certificateInfo(socket.getPeerCertificate(false)),
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
        ms: elapsed(),
      });
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      resolve({ ok: false, error, timedOut: false, ms: elapsed() });
    };
    socket.once('error', onError);
  });
}

/** Whether a TLS error means the port answered in plain text (HTTP) rather than TLS. */
export function isPlainTextAnswer(error: NodeJS.ErrnoException | undefined): boolean {
  if (error === undefined) return false;
  return (
    /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE/i.test(
      error.code ?? '',
    ) ||
    /wrong version number|packet length too long|unknown protocol|http request/i.test(error.message)
  );
}

/** Whether these bytes start a TLS record (RFC 8446 §5.1): handshake or alert, version 3.x. */
export function looksLikeTls(bytes: Uint8Array): boolean {
  const type = bytes[0];
  return (type === 0x15 || type === 0x16) && bytes[1] === 0x03 && (bytes[2] ?? 0xff) <= 0x04;
}

/**
 * Whether a port completes a TLS handshake (any certificate): used when a ws:// request got no
 * answer, to tell "this port speaks TLS" from a server that closes connections.
 */
export function speaksTls(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<{ tls: boolean; protocol?: string | null }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: address,
      port,
      rejectUnauthorized: false,
      servername: '',
    });
    const finish = (result: { tls: boolean; protocol?: string | null }): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ tls: false }), timeoutMs);
    socket.once('secureConnect', () => finish({ tls: true, protocol: socket.getProtocol() }));
    socket.once('error', () => finish({ tls: false }));
  });
}

/** Sends a plain-text upgrade request and returns the first line of the answer, if it is HTTP. */
export function plainHttpStatusLine(
  address: string,
  port: number,
  request: string,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    let received = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const line = received.split('\r\n')[0] ?? '';
      resolve(/^HTTP\/\d(?:\.\d)? \d{3}/.test(line) ? line : undefined);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) finish();
    });
    socket.once('error', finish);
    socket.once('close', finish);
  });
}
