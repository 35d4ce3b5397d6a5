import { isIP, type Socket } from 'node:net';
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { roundMs } from '../exchange-log.js';
import type { CertificateInfo } from '../types.js';

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
