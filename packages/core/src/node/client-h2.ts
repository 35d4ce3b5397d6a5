import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { WsgateError } from '../errors/wsgate-error.js';
import { validateAgreement, validateServerResponse } from '../protocol/handshake-client.js';
import {
  acceptDeflateResponse,
  type DeflateOptions,
  formatDeflateOffer,
  PERMESSAGE_DEFLATE,
} from '../protocol/permessage-deflate.js';
import type { ConnectOptions, WebSocketUrl } from './client.js';
import { classifySocketError } from './client.js';
import { clientConnection } from './client-connection.js';
import type { WebSocketConnection } from './connection.js';

// connect() over HTTP/2 (RFC 8441): the WebSocket is one stream of a session. With `http2: true`
// the connection opens a session of its own and closes it with the WebSocket; given a session
// (from http2.connect), several WebSockets share it, and the caller closes it.

function failure(
  code: ConstructorParameters<typeof WsgateError>[0],
  detail: string,
  cause?: unknown,
) {
  return new WsgateError(code, { detail, ...(cause === undefined ? {} : { cause }) });
}

function openSession(target: WebSocketUrl, options: ConnectOptions): ClientHttp2Session {
  const authority = `${target.secure ? 'https' : 'http'}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const tlsOptions: SecureClientSessionOptions = {
    ...(options.ca === undefined ? {} : { ca: options.ca as SecureClientSessionOptions['ca'] }),
    ...(options.rejectUnauthorized === undefined
      ? {}
      : { rejectUnauthorized: options.rejectUnauthorized }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  };
  return http2.connect(authority, tlsOptions);
}

/** Resolves once the session has the server's SETTINGS (RFC 8441 §3 needs them before a CONNECT). */
function remoteSettingsOf(session: ClientHttp2Session): Promise<http2.Settings> {
  // Node keeps the defaults until the server's SETTINGS arrive; `connecting` is over by then.
  if (!session.connecting && session.remoteSettings.enableConnectProtocol === true)
    return Promise.resolve(session.remoteSettings);
  // Connects waiting on one session share one pair of listeners (no MaxListeners warning).
  let waiting = settingsAwaited.get(session);
  if (waiting === undefined) {
    waiting = new Promise<http2.Settings>((resolve, reject) => {
      const onError = (error: Error) => {
        session.off('remoteSettings', onSettings);
        settingsAwaited.delete(session);
        reject(error);
      };
      const onSettings = (settings: http2.Settings) => {
        session.off('error', onError);
        settingsAwaited.delete(session);
        resolve(settings);
      };
      session.once('remoteSettings', onSettings);
      session.once('error', onError);
    });
    settingsAwaited.set(session, waiting);
  }
  return waiting;
}

const settingsAwaited = new WeakMap<ClientHttp2Session, Promise<http2.Settings>>();

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    flat[name] = Array.isArray(value)
      ? value.join(', ')
      : value === undefined
        ? undefined
        : String(value);
  return flat;
}

/** Opens a WebSocket on an HTTP/2 stream; every failure rejects with a WsgateError. */
export async function connectOverHttp2(
  target: WebSocketUrl,
  options: ConnectOptions,
): Promise<WebSocketConnection> {
  const deflate = options.perMessageDeflate ?? true;
  const deflateOptions: DeflateOptions = typeof deflate === 'object' ? deflate : {};
  const shared = typeof options.http2 === 'object' ? options.http2 : undefined;
  const session = shared ?? openSession(target, options);
  const ownsSession = shared === undefined;
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let stream: ClientHttp2Stream | undefined;
  const ignore = (): void => {};
  if (ownsSession) session.on('error', ignore);
  const cleanUp = (): void => {
    stream?.on('error', ignore);
    stream?.destroy();
    if (ownsSession) session.destroy();
  };
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(failure('WSG_CONNECT_TIMEOUT', `no complete handshake within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const settings = await Promise.race([remoteSettingsOf(session), timeout]);
    if (settings.enableConnectProtocol !== true)
      throw failure(
        'WSG_H2_CONNECT_PROTOCOL_DISABLED',
        `${target.hostHeader} did not send SETTINGS_ENABLE_CONNECT_PROTOCOL`,
      );
    const headers: OutgoingHttpHeaders = {
      ...Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': target.secure ? 'https' : 'http',
      ':path': target.resource,
      ':authority': target.hostHeader,
      'sec-websocket-version': '13',
    };
    if (options.origin !== undefined) headers.origin = options.origin;
    if (options.subprotocols !== undefined && options.subprotocols.length > 0)
      headers['sec-websocket-protocol'] = options.subprotocols.join(', ');
    if (deflate !== false) headers['sec-websocket-extensions'] = formatDeflateOffer(deflateOptions);
    const opened = session.request(headers, { endStream: false });
    stream = opened;
    const response = await Promise.race([
      new Promise<IncomingHttpHeaders>((resolve, reject) => {
        opened.once('response', resolve);
        opened.once('error', (error: NodeJS.ErrnoException) =>
          reject(failure(classifySocketError(error), error.message, error)),
        );
        opened.once('close', () =>
          reject(
            failure(
              'WSG_CONNECTION_RESET',
              `the stream closed before the server answered the handshake (RST_STREAM ${opened.rstCode})`,
            ),
          ),
        );
      }),
      timeout,
    ]);
    const fields = flatHeaders(response);
    const status = Number(response[':status']);
    const expected = {
      subprotocols: options.subprotocols,
      extensionNames: deflate === false ? [] : [PERMESSAGE_DEFLATE],
    };
    // RFC 8441 §5: a 2xx accepts; anything else is a refusal, read as over HTTP/1.1.
    const outcome =
      status >= 200 && status <= 299
        ? validateAgreement(fields, expected)
        : validateServerResponse(
            { httpVersion: '2', status, statusText: '', headers: fields } as Parameters<
              typeof validateServerResponse
            >[0],
            { key: '', ...expected },
          );
    if (!outcome.ok) throw failure(outcome.code, outcome.detail);
    const accepted = outcome.extensions.find((extension) => extension.name === PERMESSAGE_DEFLATE);
    const agreement =
      accepted === undefined ? undefined : acceptDeflateResponse(accepted, deflateOptions);
    if (accepted !== undefined && agreement === undefined)
      throw failure(
        'WSG_RESPONSE_EXTENSION_UNOFFERED',
        `the server's permessage-deflate parameters were not offered: ${fields['sec-websocket-extensions']}`,
      );
    if (options.requirePerMessageDeflate && agreement === undefined)
      throw failure('WSG_EXTENSION_REQUIRED', 'the server did not accept permessage-deflate');
    clearTimeout(timer);
    if (ownsSession) {
      // The session lives as long as its one WebSocket.
      opened.once('close', () => session.close());
    }
    const connection = clientConnection(opened, options, {
      subprotocol: outcome.subprotocol,
      extensions: fields['sec-websocket-extensions'],
      deflate: agreement,
      deflateOptions,
    });
    setImmediate(() => connection.start());
    return connection;
  } catch (error) {
    clearTimeout(timer);
    cleanUp();
    if (error instanceof WsgateError) throw error;
    const cause = error as NodeJS.ErrnoException;
    throw failure(classifySocketError(cause), `${cause.code ?? 'error'}: ${cause.message}`, cause);
  }
}
