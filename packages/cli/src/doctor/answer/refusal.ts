import { catalogue } from '@wsgate/core';
import { clientCodeForStatus } from '@wsgate/core/adapter';
import { type HttpResponseHead, headerHasToken } from '@wsgate/core/protocol';
import { describeCode, diagnose, serverCodeOf, serverDetailOf } from '../diagnosis.js';
import type { Diagnosis, StepName } from '../types.js';
import { diagnoseErrorStatus } from './error-status.js';
import { pathsListed } from './paths-listed.js';
import type { RequestContext } from './request-context.js';
import {
  looksLikeHtml,
  NGINX_FIX,
  observedResponse,
  viaProxy,
  websocketLocation,
} from './response-signs.js';

/** The diagnosis for an answer that is not 101 Switching Protocols. */
export function diagnoseRefusal(
  head: HttpResponseHead,
  body: string,
  request: RequestContext,
  elapsedMs: number,
): { step: StepName; diagnosis: Diagnosis } {
  const status = head.status;
  const statusLine = `HTTP/${head.httpVersion} ${status} ${head.statusText}`.trimEnd();
  const serverCode = serverCodeOf(head.headers, body);
  const serverDetail = serverDetailOf(body);
  const observed = [
    ...observedResponse(head, body),
    '',
    `(answered ${elapsedMs} ms after the request was sent)`,
  ];
  const says =
    serverCode === undefined
      ? undefined
      : `The server names ${describeCode(serverCode)}${serverDetail ? ` — ${serverDetail}` : ''}.`;
  const serverFix = serverCode === undefined ? [] : [catalogue[serverCode].fix];
  const base = { observed, serverCode };

  // Which client code the status stands for comes from the catalogue (as connect() reports it).
  const clientCode = clientCodeForStatus(status);
  if (clientCode === 'WSG_RESPONSE_NOT_FOUND') {
    const listed = pathsListed(body, request.resource);
    const tryUrl = listed[0] === undefined ? undefined : new URL(listed[0], request.url).toString();
    return {
      step: 'upgrade',
      diagnosis: diagnose('upgrade', 'WSG_RESPONSE_NOT_FOUND', {
        ...base,
        summary: `${statusLine}: nothing serves WebSocket at ${request.resource}${serverDetail ? ` (the server says: ${serverDetail})` : ''}${listed.length > 0 ? `; the server lists ${listed.join(', ')}` : ''}.`,
        causes: [
          ...(says === undefined ? [] : [says]),
          ...(listed.length > 0
            ? [
                `The server names the paths it serves: ${listed.join(', ')}; ${request.resource} is not one of them.`,
              ]
            : []),
          `The path ${request.resource} is wrong: a typo, a prefix a proxy adds or strips (/api, /ws), or a trailing slash.`,
          ...(looksLikeHtml(head, body)
            ? [
                'The answer is an HTML page: a web server or a framework router answered, not the WebSocket endpoint.',
              ]
            : []),
          'The WebSocket server runs on another host or port than the one that answered.',
        ],
        fix: [
          ...(tryUrl === undefined ? [] : [`Try a path the server lists: wsgate doctor ${tryUrl}`]),
          'Connect to a path the server serves (check its WebSocket routes and any proxy prefix).',
          ...serverFix,
        ],
      }),
    };
  }

  if (clientCode === 'WSG_RESPONSE_UPGRADE_REQUIRED') {
    const version = head.headers['sec-websocket-version'];
    const wantsOtherVersion =
      serverCode === 'WSG_VERSION_UNSUPPORTED' ||
      (version !== undefined && !version.split(',').some((item) => item.trim() === '13'));
    if (wantsOtherVersion) {
      return {
        step: 'version',
        diagnosis: diagnose('version', 'WSG_RESPONSE_UPGRADE_REQUIRED', {
          ...base,
          summary: `${statusLine}: the server wants Sec-WebSocket-Version ${version ?? '(not said)'}; the doctor sent 13 (RFC 6455).`,
          causes: [
            ...(says === undefined ? [] : [says]),
            'The server implements an obsolete draft of the protocol (hixie-76, hybi-07/08) instead of RFC 6455.',
            'A proxy rewrote the Sec-WebSocket-Version header.',
          ],
          fix: ['Upgrade the server: browsers speak only version 13.'],
        }),
      };
    }
    return {
      step: 'upgrade',
      diagnosis: diagnose('upgrade', 'WSG_RESPONSE_UPGRADE_REQUIRED', {
        ...base,
        summary: `${statusLine}: the server answered as if the request had no Upgrade header, yet the doctor sent "Upgrade: websocket" and "Connection: Upgrade".`,
        causes: [
          ...(says === undefined ? [] : [says]),
          `A proxy or load balancer between the doctor and the server dropped the hop-by-hop headers Upgrade and Connection${viaProxy(head) ? ` (${viaProxy(head)})` : ''}.`,
          'The route only speaks WebSocket and an HTTP handler in front of it served the request without the upgrade.',
        ],
        fix: [NGINX_FIX, ...serverFix],
      }),
    };
  }

  if (clientCode === 'WSG_RESPONSE_REFUSED') {
    return {
      step: 'upgrade',
      diagnosis: diagnoseErrorStatus(head, body, request, statusLine, says, serverFix, base),
    };
  }

  // 1xx other than 101, 2xx and 3xx: served as plain HTTP.
  const missing = [
    headerHasToken(head.headers.upgrade, 'websocket') ? undefined : 'Upgrade: websocket',
    headerHasToken(head.headers.connection, 'upgrade') ? undefined : 'Connection: Upgrade',
    head.headers['sec-websocket-accept'] === undefined ? 'Sec-WebSocket-Accept' : undefined,
  ].filter((item): item is string => item !== undefined);
  const location = head.headers.location;
  const causes: string[] = [];
  const fix: string[] = [];
  if (status >= 300 && status < 400 && location !== undefined) {
    const target = websocketLocation(location, request.url);
    const targetUrl = target === undefined ? undefined : new URL(target);
    const probed = new URL(request.url);
    if (
      targetUrl !== undefined &&
      targetUrl.protocol === 'wss:' &&
      !request.secure &&
      targetUrl.hostname === probed.hostname
    ) {
      causes.push('The server redirects plain HTTP to HTTPS: the endpoint wants wss://.');
    } else if (
      targetUrl !== undefined &&
      targetUrl.pathname.replace(/\/$/, '') === probed.pathname.replace(/\/$/, '') &&
      targetUrl.pathname !== probed.pathname
    ) {
      causes.push(
        'The server redirects to the same path with or without a trailing slash: use the path it redirects to.',
      );
    } else if (/log-?in|sign-?in|auth|sso|oauth/i.test(location)) {
      causes.push(
        'A redirect to a login page: the endpoint requires authentication (a cookie or a token).',
      );
      fix.push(
        "Send the credentials the application expects, e.g. --header 'Cookie: session=…' or --header 'Authorization: Bearer …'.",
      );
    } else {
      causes.push(
        `The server redirects to ${location}; WebSocket clients do not follow redirects.`,
      );
    }
    if (target !== undefined)
      fix.push(`Connect to the redirect's target instead: wsgate doctor ${target}`);
  }
  const proxy = viaProxy(head);
  const proxyCause = `A proxy between the doctor and the server drops the Upgrade and Connection headers, so the server behind it served an ordinary request${proxy ? ` (the answer came through a proxy: ${proxy})` : ''}.`;
  const routeCause = `${request.resource} is an ordinary HTTP route (a page, an API, a static file), not the WebSocket route${looksLikeHtml(head, body) ? ': the answer is an HTML page' : ''}.`;
  if (status < 300 || location === undefined) {
    if (proxy !== undefined) causes.push(proxyCause, routeCause);
    else causes.push(routeCause, proxyCause);
    fix.push(NGINX_FIX, 'Check that this path is the WebSocket route.');
  }
  return {
    step: 'upgrade',
    diagnosis: diagnose('upgrade', 'WSG_RESPONSE_NOT_UPGRADED', {
      ...base,
      summary: `${statusLine}: served as plain HTTP instead of 101 Switching Protocols${missing.length > 0 ? `; missing on the way back: ${missing.join(', ')}` : ''}${location ? `; Location: ${location}` : ''}.`,
      causes,
      fix,
    }),
  };
}
