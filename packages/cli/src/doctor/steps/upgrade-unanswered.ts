import { toHex } from '../exchange-log.js';
import type { ProbeContext } from '../probe-context.js';
import { looksLikeTls, speaksTls } from '../transport/what-the-port-speaks.js';

// The upgrade request got no HTTP answer: bytes of another protocol, a close, or silence.

/** Bytes came back that are not HTTP: TLS from a ws:// request, or another protocol. */
export function notHttp(probe: ProbeContext, bytes: Buffer, elapsed: number): false {
  if (looksLikeTls(bytes)) {
    const alert = bytes[0] === 0x15;
    return probe.failWith(
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
          `Use wss:// for this port: wsgate doctor ${probe.report.url?.replace(/^ws:/, 'wss:')}`,
        ],
      },
      elapsed,
    );
  }
  const printable = bytes
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.')
    .slice(0, 80);
  return probe.failWith(
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
export async function noAnswer(
  probe: ProbeContext,
  bytes: Buffer,
  error: NodeJS.ErrnoException | undefined,
  elapsed: number,
): Promise<false> {
  const how = error?.code === 'ECONNRESET' ? 'reset the connection (RST)' : 'closed the connection';
  probe.log.event(
    `the server ${how} ${bytes.length === 0 ? 'without answering' : 'in the middle of its answer'}`,
  );
  if (bytes.length > 0) {
    return probe.failWith(
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
  }
  const observed = [
    `the server ${how} ${elapsed} ms after the upgrade request, without sending a byte`,
  ];
  if (!probe.target.secure) {
    const tlsProbe = await speaksTls(
      probe.address,
      probe.target.port,
      Math.min(probe.timeoutMs, 2_000),
    );
    if (tlsProbe.tls) {
      return probe.failWith(
        'upgrade',
        'WSG_CONNECTION_RESET',
        {
          summary:
            'This port speaks TLS, use wss://: the server closed the plain request, and a TLS handshake on the same port succeeds.',
          observed: [
            ...observed,
            `a TLS handshake on the same port succeeded (${tlsProbe.protocol ?? 'TLS'})`,
          ],
          causes: ['The server on this port terminates TLS and drops requests that are not TLS.'],
          fix: [
            `Use wss:// for this port: wsgate doctor ${probe.report.url?.replace(/^ws:/, 'wss:')}`,
          ],
        },
        elapsed,
      );
    }
  }
  return probe.failWith(
    'upgrade',
    'WSG_CONNECTION_RESET',
    {
      summary: `The server ${how} during the handshake without answering.`,
      observed,
      causes: [
        'The server does not handle this path and destroys the socket instead of answering 404 (common in WebSocket libraries).',
        'A proxy or load balancer dropped the connection (an idle or upstream timeout, a rule on Upgrade requests).',
        'The server rejected a header (origin, authentication) by closing the socket without a status.',
        ...(probe.target.secure ? [] : ['The port expects another protocol.']),
      ],
      fix: [
        'Look at the server and proxy logs at the time of this request; try the path the server documents.',
      ],
    },
    elapsed,
  );
}

export async function noAnswerInTime(
  probe: ProbeContext,
  bytes: Buffer,
  elapsed: number,
): Promise<false> {
  const causes = [
    'The server accepted the connection but never answered: it is stuck, overloaded, or waits for something else (a PROXY protocol header, another protocol).',
    'A proxy in between holds the request (buffering, an upstream that does not answer).',
  ];
  if (!probe.target.secure) {
    const tlsProbe = await speaksTls(
      probe.address,
      probe.target.port,
      Math.min(probe.timeoutMs, 2_000),
    );
    if (tlsProbe.tls)
      causes.unshift('This port speaks TLS (a TLS handshake on it succeeds): use wss://.');
  }
  return probe.failWith(
    'upgrade',
    'WSG_CONNECT_TIMEOUT',
    {
      summary: `No complete answer to the upgrade request within ${probe.timeoutMs} ms${bytes.length > 0 ? ` (${bytes.length} bytes came)` : ''}.`,
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
