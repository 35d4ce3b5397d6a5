import type { Socket } from 'node:net';
import { classifySocketError } from '@wsgate/core/adapter';
import { certificateAdvice } from '../advice/certificates.js';
import type { ProbeContext } from '../probe-context.js';
import { startTls, type TlsResult } from '../transport/tls.js';
import { isPlainTextAnswer, plainHttpStatusLine } from '../transport/what-the-port-speaks.js';
import type { CertificateInfo } from '../types.js';
import { Wire } from '../wire.js';

/** The tls step (wss:// only): the handshake, and a certificate this machine trusts. */
export async function runTlsStep(probe: ProbeContext): Promise<boolean> {
  const { target } = probe;
  if (!target.secure) return probe.skip('tls', 'ws:// is not encrypted');
  const tcp = probe.sockets[probe.sockets.length - 1] as Socket;
  const result = await startTls(
    tcp,
    { host: target.host, ca: probe.options.ca },
    probe.timeoutMs,
    (socket) => {
      probe.track(socket);
      probe.capture?.track(socket, 'client');
    },
  );
  if (result.ok && result.authorized) {
    const certificate = result.certificate;
    if (certificate !== undefined) probe.report.certificate = certificate;
    probe.log.event(
      `TLS ${result.protocol ?? ''} established, certificate ${certificate?.subject ?? '(none)'}`,
    );
    probe.wire = new Wire(result.socket);
    return probe.pass(
      'tls',
      `${result.protocol ?? 'TLS'} in ${result.ms} ms; certificate ${certificate?.subject ?? '(none)'}, issued by ${certificate?.issuer ?? '(none)'}, valid until ${certificate?.validTo ?? '?'}`,
      result.ms,
    );
  }
  if (result.ok) return refusedCertificate(probe, result);
  if (result.timedOut) {
    return probe.failWith(
      'tls',
      'WSG_TLS_FAILED',
      {
        summary: `No TLS answer from ${probe.endpoint} within ${probe.timeoutMs} ms.`,
        observed: [`TLS ClientHello sent, nothing came back in ${probe.timeoutMs} ms`],
        causes: [
          'The port does not speak TLS and waits for something else.',
          'A firewall or proxy holds the connection.',
        ],
        fix: [
          `If this port speaks plain HTTP, use ws://: wsgate doctor ${probe.report.url?.replace(/^wss:/, 'ws:')}`,
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
      probe.address,
      target.port,
      `GET ${target.resource} HTTP/1.1\r\nHost: ${target.hostHeader}\r\n\r\n`,
      Math.min(probe.timeoutMs, 2_000),
    );
    const plainUrl = probe.report.url?.replace(/^wss:/, 'ws:') ?? '';
    return probe.failWith(
      'tls',
      'WSG_TLS_FAILED',
      {
        summary: `This port speaks plain HTTP, use ws://: the TLS handshake got a non-TLS answer (${error?.code ?? 'wrong version number'}).`,
        observed: [
          ...observed,
          ...(statusLine === undefined ? [] : [`the same port answers plain HTTP: ${statusLine}`]),
        ],
        causes: [
          `The server on port ${target.port} does not terminate TLS: it answered the TLS ClientHello in plain text.`,
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
  return probe.failWith(
    'tls',
    // A reset during the TLS handshake is the TLS handshake failing, whatever the socket says.
    code === 'WSG_CONNECTION_RESET' ? 'WSG_TLS_FAILED' : code,
    {
      summary: `The TLS handshake with ${probe.endpoint} failed: ${error?.code ?? error?.message ?? 'closed'}.`,
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

/** The handshake completed with a certificate that is not trusted here: shown, and nothing sent. */
function refusedCertificate(probe: ProbeContext, result: TlsResult & { ok: true }): false {
  const certificate = result.certificate;
  if (certificate !== undefined) probe.report.certificate = certificate;
  const advice = certificateAdvice[result.authorizationError ?? ''];
  const what = advice?.what ?? `the certificate was not accepted (${result.authorizationError})`;
  result.socket.destroy();
  probe.log.event(`TLS certificate refused: ${result.authorizationError}`);
  return probe.failWith(
    'tls',
    'WSG_TLS_FAILED',
    {
      summary: `TLS to ${probe.endpoint}: ${what} (${result.authorizationError}).`,
      observed: [
        `verification: ${result.authorizationError}`,
        ...certificateLines(certificate),
        `host checked: ${probe.target.host}`,
        'nothing was sent over this connection: the doctor stops at a certificate it cannot trust, as browsers do',
      ],
      causes: advice?.causes ?? [],
      fix: advice?.fix ?? [],
    },
    result.ms,
  );
}

function certificateLines(certificate: CertificateInfo | undefined): string[] {
  if (certificate === undefined) return ['the server sent no certificate'];
  return [
    `subject:  ${certificate.subject}`,
    `issuer:   ${certificate.issuer}${certificate.selfSigned ? ' (self-signed)' : ''}`,
    `valid:    ${certificate.validFrom} → ${certificate.validTo}`,
    ...(certificate.subjectAltName === undefined
      ? []
      : [`names:    ${certificate.subjectAltName}`]),
    ...(certificate.fingerprint256 === undefined
      ? []
      : [`sha256:   ${certificate.fingerprint256}`]),
  ];
}
