import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { Injectable, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WsException,
} from '@nestjs/websockets';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { otelApiLoaded } from '@wsgate/core/adapter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WsgateAdapter, type WsgateAdapterOptions, type WsgateClient } from '../src/index.js';
import { MESSAGE_PATTERN_ATTRIBUTE, MESSAGE_TRACER_NAME } from '../src/message-spans.js';
import { connect, finish, type TestClient } from './helpers.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

class OpenGuard implements CanActivate {
  canActivate(executionContext: ExecutionContext): boolean {
    return executionContext.switchToWs().getData<{ open?: boolean }>()?.open === true;
  }
}

@Injectable()
@WebSocketGateway({ path: '/traced' })
class TracedGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return { event: 'echo', data };
  }

  /** Makes a span of its own, after an await: it must be a child of the message's span. */
  @SubscribeMessage('lookup')
  async lookup(@ConnectedSocket() client: WsgateClient) {
    await new Promise((resolve) => setImmediate(resolve));
    trace.getTracer('app').startSpan('db.query').end();
    return { event: 'found', data: client.handshake.path };
  }

  @UseGuards(OpenGuard)
  @SubscribeMessage('guarded')
  guarded() {
    return { event: 'guarded', data: true };
  }

  @SubscribeMessage('refuse')
  refuse(): never {
    throw new WsException('not now');
  }

  @SubscribeMessage('crash')
  async crash(): Promise<never> {
    throw new Error('secret detail');
  }
}

async function startApp(options: WsgateAdapterOptions): Promise<{
  app: INestApplication;
  client: TestClient;
}> {
  const moduleRef = await Test.createTestingModule({ providers: [TracedGateway] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(new WsgateAdapter(app, options));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, client: await connect(`ws://127.0.0.1:${port}/traced`) };
}

/** The message spans ended so far (the adapter's scope only; core adds handshake spans). */
function messageSpans(): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((span) => span.instrumentationScope.name === MESSAGE_TRACER_NAME);
}

beforeAll(async () => {
  await otelApiLoaded;
  trace.disable();
  context.disable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
afterEach(() => exporter.reset());

describe('@wsgate/nestjs with traceMessages: true', () => {
  let app: INestApplication;
  let client: TestClient;
  beforeAll(async () => {
    ({ app, client } = await startApp({ traceMessages: true }));
  });
  afterAll(async () => {
    if (client !== undefined) await finish(client);
    await app?.close();
  });

  it('makes one span per @SubscribeMessage call, named after its pattern', async () => {
    client.emit('echo', 1);
    client.emit('echo', 2);
    await client.next();
    await client.next();
    const spans = messageSpans();
    expect(spans.map((span) => span.name)).toEqual(['echo', 'echo']);
    expect(spans[0]?.attributes).toMatchObject({
      [MESSAGE_PATTERN_ATTRIBUTE]: 'echo',
      'url.path': '/traced',
    });
    expect(spans[0]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("ends an async handler's span when it settles, with the handler's own spans inside it", async () => {
    client.emit('lookup');
    expect((await client.next()).json).toEqual({ event: 'found', data: '/traced' });
    const [message] = messageSpans();
    const query = exporter.getFinishedSpans().find((span) => span.name === 'db.query');
    expect(message?.name).toBe('lookup');
    expect(query?.parentSpanContext?.spanId).toBe(message?.spanContext().spanId);
    expect(query?.spanContext().traceId).toBe(message?.spanContext().traceId);
  });

  it('traces a handler Nest runs (a guard on it) the same way, and marks its refusal', async () => {
    client.emit('guarded', { open: true });
    await client.next();
    client.emit('guarded', { open: false });
    expect((await client.next()).json.data.code).toBe('WSG_POLICY_VIOLATION');
    const [allowed, refused] = messageSpans();
    expect(allowed?.name).toBe('guarded');
    expect(allowed?.status.code).toBe(SpanStatusCode.UNSET);
    expect(refused?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'WSG_POLICY_VIOLATION',
    });
  });

  it('marks the span of a handler that fails with the code the client gets', async () => {
    client.emit('refuse');
    expect((await client.next()).json.data.code).toBe('WSG_POLICY_VIOLATION');
    client.emit('crash');
    expect((await client.next()).json.data.code).toBe('WSG_INTERNAL_ERROR');
    const [refused, crashed] = messageSpans();
    expect(refused?.attributes).toMatchObject({
      'wsgate.code': 'WSG_POLICY_VIOLATION',
      'error.type': 'WSG_POLICY_VIOLATION',
    });
    expect(crashed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'WSG_INTERNAL_ERROR' });
  });
});

describe('@wsgate/nestjs without traceMessages', () => {
  it('makes no message span, with a tracer provider registered', async () => {
    const { app, client } = await startApp({});
    try {
      client.emit('echo', 1);
      client.emit('guarded', { open: true });
      await client.next();
      await client.next();
      expect(messageSpans()).toEqual([]);
      // Core's handshake span shows that the provider records.
      expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('wsgate.handshake');
    } finally {
      await finish(client);
      await app.close();
    }
  });
});
