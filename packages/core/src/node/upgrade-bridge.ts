import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { HandshakeCode } from '../errors/catalogue.js';
import { buildRefusal, type HttpRefusal } from '../errors/http-refusal.js';
import { validateUpgradeRequest } from '../protocol/handshake-server.js';
import { type AnyHttp2Server, isHttp2Server } from './h2-attach.js';
import { onExtendedConnect } from './h2-extended-connect.js';
import { fromIncomingMessage, type HandshakeRequest } from './handshake-request.js';
import { sendRefusal } from './refusal.js';
import { requestHeadArrived } from './request-head-deadline.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, limitHeadsOf } from './server.js';
import type { ServerGroup } from './server-group.js';
import { claimed, UpgradeExchange } from './upgrade-exchange.js';

export {
  codeForFrameworkAnswer,
  headersSetByFramework,
  UpgradeExchange,
} from './upgrade-exchange.js';

/** How `bridgeUpgrades` hands upgrade requests to a framework. */
export interface UpgradeBridgeHooks {
  /**
   * Runs one upgrade request through the framework (`exchange.request`, `exchange.response`).
   * A WebSocket route accepts with `group.accept(exchange)`; whatever the framework answers on
   * the response is written as real HTTP; what nothing answers is the framework's to refuse.
   */
  readonly run: (exchange: UpgradeExchange) => void;
  /** Upgrade requests to leave to other upgrade listeners without running the framework. */
  readonly skip?: ((request: IncomingMessage) => boolean) | undefined;
  /**
   * With other upgrade listeners on the server, run the framework only on what they have not
   * claimed by the next turn of the event loop (listeners that claim at once keep their requests).
   */
  readonly afterNeighbours?: boolean | undefined;
  /** Told before the 500 when the framework answered nothing within `handshakeTimeoutMs`. */
  readonly onTimeout?: ((error: Error, exchange: UpgradeExchange) => void) | undefined;
}

/**
 * Routes the upgrade requests of `http` through a framework, with the policy of `group.base`:
 * its `path` keeps other paths out (404, after other listeners had their chance), a request
 * another listener already answered is left alone, 503 once the group is closing, and 500
 * WSG_HOOK_FAILED (logged) when the framework settles nothing within `handshakeTimeoutMs`.
 * On an HTTP/2 server, extended CONNECT streams (RFC 8441) go the same way, and so do HTTP/1.1
 * upgrades when it was made with `allowHTTP1`. Returns a function that detaches.
 */
export function bridgeUpgrades(
  http: HttpServer | HttpsServer | AnyHttp2Server,
  group: ServerGroup,
  hooks: UpgradeBridgeHooks,
): () => void {
  const base = group.base;
  const options = base.options;
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const run = (exchange: UpgradeExchange): void => {
    exchange.armDeadline(timeoutMs, () => {
      const error = new Error(
        `the app did not answer the upgrade request to ${exchange.handshake.path}, nor reach a WebSocket route, within ${timeoutMs} ms`,
      );
      hooks.onTimeout?.(error, exchange);
      exchange.fail(base, error.message);
    });
    hooks.run(exchange);
  };
  /** The group's own answers (other path, shutting down); true when it gave one. */
  const answeredByPolicy = (handshake: HandshakeRequest, socket: Duplex): boolean => {
    if (options.path === undefined && !group.closing) return false;
    if (!base.servesPath(handshake.path)) {
      base.refuseUnhandled(http as HttpServer, handshake, socket);
      return true;
    }
    if (!group.closing) return false;
    base.refuse(handshake, socket, 'WSG_SERVER_SHUTTING_DOWN');
    return true;
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    requestHeadArrived(socket);
    // Left to another listener, or already answered by one registered before this.
    if (hooks.skip?.(request) === true || claimed(socket)) return;
    if (answeredByPolicy(fromIncomingMessage(request), socket)) return;
    const exchange = (): UpgradeExchange =>
      new UpgradeExchange(request, socket, head, options.refusalJournal);
    if (hooks.afterNeighbours !== true || http.listenerCount('upgrade') <= 1) {
      run(exchange());
      return;
    }
    // Listeners beside this one run in this same 'upgrade' event: let them claim first.
    setImmediate(() => {
      if (!claimed(socket)) run(exchange());
    });
  };
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const exchange = UpgradeExchange.overHttp2(stream, headers, options.refusalJournal);
    if (hooks.skip?.(exchange.request) === true) return;
    if (answeredByPolicy(exchange.handshake, stream)) return;
    run(exchange);
  };
  http.on('upgrade', onUpgrade);
  // An HTTP/2 server gets no request-head deadline (as in WebSocketServer.attach): its sessions
  // send no HTTP/1 head, and its 'request' listener would turn on Node's compatibility API.
  const stopMore = isHttp2Server(http)
    ? onExtendedConnect(http, onStream)
    : limitHeadsOf(http, options);
  return () => {
    http.off('upgrade', onUpgrade);
    stopMore();
  };
}

/**
 * The answer to an ordinary request that reached a WebSocket-only route, as `refusalForPlainRequest`
 * names it, built for a framework to send (`Connection: Upgrade` beside a 426's `Upgrade`).
 */
export function plainRequestRefusal(request: IncomingMessage): HttpRefusal {
  const { code, detail } = refusalForPlainRequest(request);
  const refusal = buildRefusal(code, { detail, accept: request.headers.accept });
  // RFC 9110 §7.8: an Upgrade header in a response is listed in Connection.
  if (refusal.headers.Upgrade === undefined) return refusal;
  return { ...refusal, headers: { ...refusal.headers, Connection: 'Upgrade' } };
}

/** Answers an ordinary request that reached a WebSocket-only route: 426, or the exact fault. */
export function refusePlainRequest(request: IncomingMessage, response: ServerResponse): void {
  const { code, detail } = refusalForPlainRequest(request);
  sendRefusal(response, code, { detail, accept: request.headers.accept });
}

/**
 * The refusal for an ordinary request that reached a WebSocket-only route: 426 for a plain GET,
 * or the exact fault when it tried to upgrade but Node did not treat it as an upgrade (e.g.
 * `Upgrade: websocket` without `Connection: Upgrade`).
 */
export function refusalForPlainRequest(request: IncomingMessage): {
  code: HandshakeCode;
  detail: string;
} {
  const outcome = validateUpgradeRequest(fromIncomingMessage(request));
  if (outcome.accepted)
    return {
      code: 'WSG_NOT_WEBSOCKET',
      detail: 'the request reached the server as a plain request',
    };
  return { code: outcome.code, detail: outcome.detail };
}
