import { metrics, trace } from '@opentelemetry/api';
import {
  openWs,
  rawRequest,
  upgradeHeaders,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instruments } from '../../src/observability/metrics.js';
import { otelApiLoaded } from '../../src/observability/otel-api.js';
import { closeHarnesses, startHarness } from '../node/harness.js';

beforeAll(async () => {
  await otelApiLoaded;
  metrics.disable();
  trace.disable();
});
afterEach(closeHarnesses);

describe('without an OpenTelemetry SDK registered', () => {
  it('creates no instrument, so nothing is kept per connection', () => {
    expect(instruments()).toBeUndefined();
  });

  it('serves handshakes, refusals, messages, topics and closes without throwing', async () => {
    const harness = await startHarness({}, { echo: true });
    const refusal = await rawRequest(harness.port, {
      headers: { ...upgradeHeaders(harness.port), 'Sec-WebSocket-Version': '8' },
    });
    expect(refusal.status).toBe(426);
    const client = await openWs(harness.url);
    const connection = await harness.connection();
    await connection.subscribe('t');
    const topicMessage = wsNextMessage(client);
    await harness.server.publish('t', 'news');
    expect((await topicMessage).data.toString()).toBe('news');
    client.send('echo');
    expect((await wsNextMessage(client)).data.toString()).toBe('echo');
    const closed = wsClosed(client);
    client.close(1000);
    expect((await closed).code).toBe(1000);
    await waitFor(() => harness.server.clients.size === 0, { what: 'the server to forget it' });
    expect(harness.logs.filter((event) => event.code === 'WSG_INTERNAL_ERROR')).toEqual([]);
  });
});
