import { createServer, type RequestListener, type Server } from 'node:http';
import http2, {
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { DemoTls } from './config.js';

/** How long sessions may finish their streams after GOAWAY before they are cut at shutdown. */
const SESSION_CLOSE_MS = 1_000;

type AnyListener = (
  request: Http2ServerRequest | Parameters<RequestListener>[0],
  response: Http2ServerResponse | Parameters<RequestListener>[1],
) => void;

const sessionsOf = new WeakMap<Http2SecureServer, Set<ServerHttp2Session>>();

/**
 * The demo's server: plain HTTP/1.1, or with TLS (TLS=1) HTTP/2 and HTTP/1.1 on one port
 * (`allowHTTP1`), where WebSockets come as RFC 8441 extended CONNECT streams or as HTTP/1.1
 * upgrades. `listener` must take both kinds of request (Koa's callback does; an Express app goes
 * through @wsgate/express's http2RequestListener).
 */
export function createDemoServer(
  tls: DemoTls | undefined,
  listener: AnyListener,
): Server | Http2SecureServer {
  if (tls === undefined) return createServer(listener as RequestListener);
  const server = http2.createSecureServer({ ...tls, allowHTTP1: true }, listener);
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  sessionsOf.set(server, sessions);
  return server;
}

/**
 * Stops a server made by createDemoServer once its WebSockets are closed: no new connections,
 * GOAWAY to each HTTP/2 session (cut after a second), HTTP/1.1 connections closed.
 */
export function closeDemoServer(server: Server | Http2SecureServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    const sessions = sessionsOf.get(server as Http2SecureServer);
    if (sessions === undefined) {
      (server as Server).closeAllConnections();
      return;
    }
    for (const session of sessions) session.close();
    setTimeout(() => {
      for (const session of sessions) session.destroy();
    }, SESSION_CLOSE_MS).unref();
  });
}
