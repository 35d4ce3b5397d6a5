import type { Span } from '@opentelemetry/api';
import type { HandshakeRequest } from '../node/handshake-request.js';
import { AttributeName } from './metric-names.js';
import { INSTRUMENTATION_SCOPE, otelApi } from './otel-api.js';

/** The name of the span of every opening handshake. */
export const HANDSHAKE_SPAN_NAME = 'wsgate.handshake';

/** The span of each handshake in progress, for the refusal or the 101 that ends it. */
const handshakeSpans = new WeakMap<HandshakeRequest, Span>();

function startSpan(request: HandshakeRequest): Span | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  // The parent comes from the upgrade request's `traceparent` (and whatever else the
  // application's registered propagator reads); without a propagator the span is a root.
  const parent = api.propagation.extract(api.ROOT_CONTEXT, request.headers);
  const span = api.trace.getTracer(INSTRUMENTATION_SCOPE).startSpan(
    HANDSHAKE_SPAN_NAME,
    {
      kind: api.SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': request.path },
    },
    parent,
  );
  return span.isRecording() ? span : undefined;
}

/** A handshake begins: its span starts (when a tracer provider records). */
export function startHandshakeSpan(request: HandshakeRequest): void {
  const span = startSpan(request);
  if (span !== undefined) handshakeSpans.set(request, span);
}

/** Runs `work` with the handshake's span as the active one (the application's hook, say). */
export function inHandshakeSpan<T>(request: HandshakeRequest, work: () => T): T {
  const span = handshakeSpans.get(request);
  const api = otelApi();
  if (span === undefined || api === undefined) return work();
  return api.context.with(api.trace.setSpan(api.context.active(), span), work);
}

/** The handshake was refused: its span (started now if the refusal came before the pipeline) ends in error. */
export function endHandshakeSpanRefused(
  request: HandshakeRequest | undefined,
  code: string,
  status: number,
): void {
  if (request === undefined) return;
  const span = handshakeSpans.get(request) ?? startSpan(request);
  if (span === undefined) return;
  handshakeSpans.delete(request);
  const api = otelApi();
  span.setAttributes({
    [AttributeName.outcome]: 'refused',
    [AttributeName.code]: code,
    [AttributeName.errorType]: code,
    'http.response.status_code': status,
  });
  span.setStatus({ code: api?.SpanStatusCode.ERROR ?? 2, message: code });
  span.end();
}

/** The 101 is written: the span ends well. */
export function endHandshakeSpanAccepted(request: HandshakeRequest): void {
  const span = handshakeSpans.get(request);
  if (span === undefined) return;
  handshakeSpans.delete(request);
  span.setAttributes({ [AttributeName.outcome]: 'accepted', 'http.response.status_code': 101 });
  span.end();
}

/** The handshake ended with neither (the client went away during the hook): its span ends too. */
export function endHandshakeSpanAbandoned(request: HandshakeRequest): void {
  const span = handshakeSpans.get(request);
  if (span === undefined) return;
  handshakeSpans.delete(request);
  span.setAttributes({ [AttributeName.outcome]: 'abandoned' });
  span.end();
}
