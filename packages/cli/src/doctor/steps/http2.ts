import http2, { type ClientHttp2Session } from 'node:http2';
import { connect, WsgateError } from '@wsgate/core';
import type { ProbeContext } from '../probe-context.js';
import type { Http2Info } from '../types.js';

// After a healthy wss:// probe: does the server also offer WebSockets over HTTP/2 (RFC 8441)?
// Browsers use them when the page came over HTTP/2 from the same origin and the server sent
// SETTINGS_ENABLE_CONNECT_PROTOCOL. Optional: what this finds is a note, never a failure.

function openSession(probe: ProbeContext): ClientHttp2Session {
  const { target, options } = probe;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return http2.connect(`https://${host}:${target.port}`, {
    // The tls step has verified the certificate already.
    rejectUnauthorized: false,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  });
}

/** ALPN, then the server's first SETTINGS: what the session says of HTTP/2 and extended CONNECT. */
function settingsOf(
  session: ClientHttp2Session,
  timeoutMs: number,
): Promise<Pick<Http2Info, 'offered' | 'connectProtocol'> & { readonly error?: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({ offered: false, connectProtocol: false, error: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
    session.once('remoteSettings', (settings) => {
      clearTimeout(timer);
      resolve({ offered: true, connectProtocol: settings.enableConnectProtocol === true });
    });
    session.once('error', (error) => {
      clearTimeout(timer);
      // Node ends a session whose TLS connection did not agree on h2 by ALPN.
      resolve({ offered: false, connectProtocol: false, error: error.message });
    });
  });
}

async function tryWebSocket(probe: ProbeContext, session: ClientHttp2Session): Promise<string> {
  const { options } = probe;
  try {
    const connection = await connect(probe.report.url as string, {
      http2: session,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.subprotocols === undefined ? {} : { subprotocols: options.subprotocols }),
      handshakeTimeoutMs: probe.timeoutMs,
    });
    await new Promise<void>((resolve) => {
      connection.once('close', () => resolve());
      connection.close(1000, 'wsgate doctor: done');
    });
    return 'ok';
  } catch (error) {
    return error instanceof WsgateError ? error.message : String(error);
  }
}

/** The http2 step: a note on RFC 8441 support, for wss:// endpoints. */
export async function runHttp2Step(probe: ProbeContext): Promise<boolean> {
  if (!probe.target.secure) return true;
  const session = openSession(probe);
  session.on('error', () => {});
  try {
    const settings = await settingsOf(session, probe.timeoutMs);
    const info: Http2Info = {
      offered: settings.offered,
      connectProtocol: settings.connectProtocol,
      websocket: settings.connectProtocol ? await tryWebSocket(probe, session) : undefined,
    };
    probe.report.http2 = info;
    probe.report.notes.push(http2Note(info));
  } finally {
    session.destroy();
  }
  return true;
}

function http2Note(info: Http2Info): string {
  if (!info.offered)
    return 'HTTP/2: not offered on this port (ALPN h2): browsers open WebSockets here with HTTP/1.1 upgrades.';
  if (!info.connectProtocol)
    return 'HTTP/2: offered, without SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): browsers open WebSockets here with HTTP/1.1 upgrades, on a connection of their own.';
  if (info.websocket === 'ok')
    return 'HTTP/2: offered with extended CONNECT (RFC 8441); a WebSocket over HTTP/2 opened and closed cleanly.';
  return `HTTP/2: offered with extended CONNECT (RFC 8441), but a WebSocket over HTTP/2 failed: ${info.websocket}`;
}
