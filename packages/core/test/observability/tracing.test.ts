import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { openWs, rawRequest, upgradeHeaders, waitFor } from '@wsgate/test-kit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { otelApiLoaded } from '../../src/observability/otel-api.js';
import { HANDSHAKE_SPAN_NAME } from '../../src/observability/tracing.js';
import { closeHarnesses, startHarness } from '../node/harness.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  await otelApiLoaded;
  trace.disable();
  context.disable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  propagation.disable();
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());
afterEach(async () => {
  propagation.disable();
  await closeHarnesses();
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;

function handshakeSpans() {
  return exporter.getFinishedSpans().filter((span) => span.name === HANDSHAKE_SPAN_NAME);
}

describe('handshake spans with the OpenTelemetry SDK registered', () => {
  it('ends an accepted handshake span with status unset and outcome accepted', async () => {
    const harness = await startHarness();
    const client = await openWs(`${harness.url}/room`);
    await harness.connection();
    await waitFor(() => handshakeSpans().length === 1, { what: 'the handshake span' });
    const [span] = handshakeSpans();
    expect(span?.attributes).toMatchObject({
      'wsgate.outcome': 'accepted',
      'http.response.status_code': 101,
      'url.path': '/room',
    });
    expect(span?.status.code).toBe(0);
    expect(span?.kind).toBe(1); // SpanKind.SERVER
    client.terminate();
  });

  it('ends a refused handshake span in error with the catalogue code', async () => {
    const harness = await startHarness({ origins: ['https://good.example'] });
    const answer = await rawRequest(harness.port, {
      headers: { ...upgradeHeaders(harness.port), Origin: 'https://evil.example' },
    });
    expect(answer.status).toBe(403);
    await waitFor(() => handshakeSpans().length === 1, { what: 'the handshake span' });
    const [span] = handshakeSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'WSG_ORIGIN_REFUSED' });
    expect(span?.attributes).toMatchObject({
      'wsgate.outcome': 'refused',
      'wsgate.code': 'WSG_ORIGIN_REFUSED',
      'error.type': 'WSG_ORIGIN_REFUSED',
      'http.response.status_code': 403,
    });
  });

  it("continues the upgrade request's traceparent when the W3C propagator is registered", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const hookSpans: Array<string | undefined> = [];
    const harness = await startHarness({
      verifyUpgrade: () => {
        // The application's hook runs inside the handshake span.
        hookSpans.push(trace.getActiveSpan()?.spanContext().spanId);
      },
    });
    const client = await openWs(harness.url, { headers: { traceparent: TRACEPARENT } });
    await harness.connection();
    await waitFor(() => handshakeSpans().length === 1, { what: 'the handshake span' });
    const [span] = handshakeSpans();
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(hookSpans).toEqual([span?.spanContext().spanId]);
    client.terminate();
  });

  it('starts a new trace when no propagator is registered, traceparent or not', async () => {
    const harness = await startHarness();
    const client = await openWs(harness.url, { headers: { traceparent: TRACEPARENT } });
    await harness.connection();
    await waitFor(() => handshakeSpans().length === 1, { what: 'the handshake span' });
    const [span] = handshakeSpans();
    expect(span?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(span?.parentSpanContext).toBeUndefined();
    client.terminate();
  });
});
