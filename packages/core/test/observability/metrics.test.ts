import {
  openRawWebSocket,
  openWs,
  rawRequest,
  upgradeHeaders,
  waitFor,
  wsClosed,
  wsNextMessage,
} from '@wsgate/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackplaneListener,
  MemoryBackplane,
  type WebSocketConnection,
} from '../../src/index.js';
import { MAX_CONCURRENT_ZLIB_JOBS, runZlibJob } from '../../src/node/zlib-jobs.js';
import { MetricName } from '../../src/observability/metric-names.js';
import { closeHarnesses, startHarness } from '../node/harness.js';
import { eventually, type MetricsSdk, registerMetricsSdk } from './otel-sdk.js';

let sdk: MetricsSdk;
beforeAll(async () => {
  sdk = await registerMetricsSdk();
});
afterAll(() => sdk.shutdown());
afterEach(closeHarnesses);

/** The change of a metric's sum while `action` runs. */
async function delta(
  name: string,
  attributes: Record<string, string>,
  action: () => Promise<unknown>,
): Promise<number> {
  const before = await sdk.sum(name, attributes);
  await action();
  return (await sdk.sum(name, attributes)) - before;
}

describe('connection metrics with the OpenTelemetry SDK registered', () => {
  it('counts an accepted handshake, the open connection, its messages, bytes, close and duration', async () => {
    const harness = await startHarness({}, { echo: true });
    const acceptedBefore = await sdk.sum(MetricName.handshakes, { 'wsgate.outcome': 'accepted' });
    const receivedBefore = await sdk.sum(MetricName.messages, {
      'network.io.direction': 'receive',
    });
    const sentBefore = await sdk.sum(MetricName.messages, { 'network.io.direction': 'transmit' });
    const bytesInBefore = await sdk.sum(MetricName.networkIo, {
      'network.io.direction': 'receive',
    });
    const durationsBefore = await sdk.histogramCount(MetricName.connectionDuration);
    const closesBefore = await sdk.sum(MetricName.closes, { 'wsgate.close_code': '1000' });

    const client = await openWs(harness.url);
    await harness.connection();
    expect(await sdk.sum(MetricName.activeConnections)).toBe(1);
    expect(await sdk.sum(MetricName.handshakes, { 'wsgate.outcome': 'accepted' })).toBe(
      acceptedBefore + 1,
    );
    for (const text of ['one', 'two', 'three']) {
      client.send(text);
      await wsNextMessage(client);
    }
    expect(await sdk.sum(MetricName.messages, { 'network.io.direction': 'receive' })).toBe(
      receivedBefore + 3,
    );
    expect(await sdk.sum(MetricName.messages, { 'network.io.direction': 'transmit' })).toBe(
      sentBefore + 3,
    );
    // Three masked frames of 3-5 bytes: at least 6 bytes of header and mask each.
    expect(
      await sdk.sum(MetricName.networkIo, { 'network.io.direction': 'receive' }),
    ).toBeGreaterThanOrEqual(bytesInBefore + 3 * 6 + 11);

    const closed = wsClosed(client);
    client.close(1000);
    await closed;
    await waitFor(() => harness.server.clients.size === 0, { what: 'the server to forget it' });
    expect(await sdk.sum(MetricName.activeConnections)).toBe(0);
    expect(await sdk.histogramCount(MetricName.connectionDuration)).toBe(durationsBefore + 1);
    expect(await sdk.sum(MetricName.closes, { 'wsgate.close_code': '1000' })).toBe(
      closesBefore + 1,
    );
    const closeSets = await sdk.attributeSets(MetricName.closes);
    expect(closeSets.find((set) => set['wsgate.close_code'] === '1000')).toEqual({
      'wsgate.close_code': '1000',
    });
  });

  it('counts a refused handshake under its catalogue code', async () => {
    const harness = await startHarness();
    const refused = { 'wsgate.outcome': 'refused', 'wsgate.code': 'WSG_VERSION_UNSUPPORTED' };
    const added = await delta(MetricName.handshakes, refused, async () => {
      const answer = await rawRequest(harness.port, {
        headers: { ...upgradeHeaders(harness.port), 'Sec-WebSocket-Version': '8' },
      });
      expect(answer.status).toBe(426);
    });
    expect(added).toBe(1);
    const sets = await sdk.attributeSets(MetricName.handshakes);
    expect(sets).toContainEqual({ ...refused, 'error.type': 'WSG_VERSION_UNSUPPORTED' });
  });

  it('counts a close for a protocol violation with its close code and catalogue code', async () => {
    const harness = await startHarness();
    const attributes = { 'wsgate.close_code': '1002', 'wsgate.code': 'WSG_FRAME_UNMASKED' };
    const added = await delta(MetricName.closes, attributes, async () => {
      const raw = await openRawWebSocket(harness.port);
      await harness.connection();
      // An unmasked text frame "hi" from a client (RFC 6455 §5.1).
      raw.sendRaw(Buffer.from('81026869', 'hex'));
      await waitFor(() => harness.server.clients.size === 0, { what: 'the close' });
      raw.destroy();
    });
    expect(added).toBe(1);
  });

  it('counts what the slow-consumer policy drops, and the connections it closes', async () => {
    const overflow = (connection: WebSocketConnection): void => {
      // Asked by the client: the first answer is queued for this tick (nothing else is, so it
      // goes whatever its size); the second would pass the 16-byte cap.
      connection.once('message', () => {
        connection.send('x'.repeat(20));
        connection.send('y'.repeat(20));
      });
    };
    const dropping = await startHarness(
      { maxBufferedBytes: 16, slowConsumerPolicy: 'drop' },
      { onConnection: overflow },
    );
    const drops = await delta(
      MetricName.slowConsumerActions,
      { 'wsgate.slow_consumer.action': 'drop' },
      async () => {
        const client = await openWs(dropping.url);
        client.send('go');
        await wsNextMessage(client);
        client.terminate();
      },
    );
    expect(drops).toBe(1);
    const closing = await startHarness({ maxBufferedBytes: 16 }, { onConnection: overflow });
    const closes = await delta(
      MetricName.slowConsumerActions,
      { 'wsgate.slow_consumer.action': 'close' },
      async () => {
        const client = await openWs(closing.url);
        client.send('go');
        expect((await wsClosed(client)).code).toBe(1013);
      },
    );
    expect(closes).toBe(1);
    expect(
      await sdk.sum(MetricName.closes, { 'wsgate.code': 'WSG_SEND_BUFFER_FULL' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('observes the compression queue: the jobs waiting for a slot, then none', async () => {
    const sets = await sdk.attributeSets(MetricName.compressionPending);
    expect(sets).toHaveLength(1);
    expect(await sdk.sum(MetricName.compressionPending)).toBe(0);
    const running: Array<() => void> = [];
    for (let i = 0; i < MAX_CONCURRENT_ZLIB_JOBS + 2; i++)
      runZlibJob((finished) => running.push(finished));
    expect(await sdk.sum(MetricName.compressionPending)).toBe(2);
    // Each job finishing starts the next one waiting.
    for (let i = 0; i < MAX_CONCURRENT_ZLIB_JOBS + 2; i++) (running[i] as () => void)();
    expect(await sdk.sum(MetricName.compressionPending)).toBe(0);
  });
});

/** A memory backplane whose test can report a reconnect, as a real one does after an outage. */
class ReconnectingBackplane extends MemoryBackplane {
  #listener: BackplaneListener | undefined;
  override start(listener: BackplaneListener): Promise<void> {
    this.#listener = listener;
    return super.start(listener);
  }
  reconnected(): void {
    this.#listener?.({ type: 'reconnect' });
  }
}

describe('topic metrics with the OpenTelemetry SDK registered', () => {
  it('counts publishes, deliveries, subscriptions, backplane lag, reconnects and recoveries', async () => {
    const backplane = new ReconnectingBackplane();
    const harness = await startHarness({ backplane });
    const before = {
      publishes: await sdk.sum(MetricName.topicPublishes),
      deliveries: await sdk.sum(MetricName.topicDeliveries),
      lag: await sdk.histogramCount(MetricName.backplaneLag),
      reconnects: await sdk.sum(MetricName.backplaneReconnects),
    };
    const client = await openWs(harness.url);
    const connection = await harness.connection();
    const first = await connection.subscribe('news');
    expect(await sdk.sum(MetricName.topicSubscriptions)).toBe(1);

    const message = wsNextMessage(client);
    await harness.server.publish('news', 'hello');
    await message;
    expect(await sdk.sum(MetricName.topicPublishes)).toBe(before.publishes + 1);
    expect(await sdk.sum(MetricName.topicDeliveries)).toBe(before.deliveries + 1);
    expect(await sdk.histogramCount(MetricName.backplaneLag)).toBe(before.lag + 1);

    const recovered = { 'wsgate.outcome': 'recovered', 'wsgate.recovery.trigger': 'subscribe' };
    const notRecovered = {
      'wsgate.outcome': 'not_recovered',
      'wsgate.recovery.trigger': 'subscribe',
    };
    const recoveredBefore = await sdk.sum(MetricName.topicRecoveries, recovered);
    const notRecoveredBefore = await sdk.sum(MetricName.topicRecoveries, notRecovered);
    await connection.subscribe('news', { since: { offset: 0, epoch: first.epoch } });
    await connection.subscribe('news', { since: { offset: 0, epoch: 'another-epoch' } });
    expect(await sdk.sum(MetricName.topicRecoveries, recovered)).toBe(recoveredBefore + 1);
    expect(await sdk.sum(MetricName.topicRecoveries, notRecovered)).toBe(notRecoveredBefore + 1);

    // Subscribing anew made the topic new on this server: a message gives it a position again.
    const again = wsNextMessage(client);
    await harness.server.publish('news', 'again');
    await again;
    const refilled = { 'wsgate.outcome': 'recovered', 'wsgate.recovery.trigger': 'reconnect' };
    const refilledBefore = await sdk.sum(MetricName.topicRecoveries, refilled);
    backplane.reconnected();
    expect(await sdk.sum(MetricName.backplaneReconnects)).toBe(before.reconnects + 1);
    await eventually(
      async () => (await sdk.sum(MetricName.topicRecoveries, refilled)) > refilledBefore,
      'the gap check after the reconnect',
    );

    await connection.unsubscribe('news');
    expect(await sdk.sum(MetricName.topicSubscriptions)).toBe(0);
    client.terminate();
  });
});
