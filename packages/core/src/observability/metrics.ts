import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableResult,
  UpDownCounter,
} from '@opentelemetry/api';
import { AttributeName, closeCodeAttribute, MetricName } from './metric-names.js';
import { INSTRUMENTATION_SCOPE, type OtelApiModule, otelApi } from './otel-api.js';
import { compressionJobs, serverTraffic, topicTotals } from './traffic-totals.js';

/** The synchronous instruments, recorded at lifecycle events (never per message). */
export interface Instruments {
  readonly activeConnections: UpDownCounter;
  readonly connectionDuration: Histogram;
  readonly handshakes: Counter;
  readonly closes: Counter;
  readonly backplaneLag: Histogram;
  readonly backplaneReconnects: Counter;
  readonly recoveries: Counter;
}

const RECEIVE: Attributes = { [AttributeName.direction]: 'receive' };
const TRANSMIT: Attributes = { [AttributeName.direction]: 'transmit' };
const DROP: Attributes = { [AttributeName.slowConsumerAction]: 'drop' };
const CLOSE: Attributes = { [AttributeName.slowConsumerAction]: 'close' };
const ACCEPTED: Attributes = { [AttributeName.outcome]: 'accepted' };

/** Connections, up to hours; the finer buckets tell handshakes that end at once apart. */
const DURATION_BUCKETS_S = [0.01, 0.1, 1, 10, 60, 300, 900, 3600, 14_400, 86_400];
/** Publish to delivery on another node: milliseconds on a LAN, seconds during an outage. */
const LAG_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function observeTotals(meter: Meter): void {
  meter
    .createObservableCounter(MetricName.messages, {
      description: 'WebSocket messages received from and sent to clients',
      unit: '{message}',
    })
    .addCallback((result: ObservableResult) => {
      result.observe(serverTraffic.messagesReceived, RECEIVE);
      result.observe(serverTraffic.messagesSent, TRANSMIT);
    });
  meter
    .createObservableCounter(MetricName.networkIo, {
      description:
        'Bytes read from and written to WebSocket sockets (frames and compression included)',
      unit: 'By',
    })
    .addCallback((result: ObservableResult) => {
      result.observe(serverTraffic.bytesReceived, RECEIVE);
      result.observe(serverTraffic.bytesSent, TRANSMIT);
    });
  meter
    .createObservableCounter(MetricName.slowConsumerActions, {
      description: 'Messages dropped and connections closed by the slow-consumer policy',
      unit: '{action}',
    })
    .addCallback((result: ObservableResult) => {
      result.observe(serverTraffic.slowConsumerDrops, DROP);
      result.observe(serverTraffic.slowConsumerCloses, CLOSE);
    });
  meter
    .createObservableUpDownCounter(MetricName.compressionPending, {
      description: 'Compression jobs waiting for a free slot of the threadpool',
      unit: '{job}',
    })
    .addCallback((result: ObservableResult) => result.observe(compressionJobs.pending));
  meter
    .createObservableCounter(MetricName.topicPublishes, {
      description: 'Messages published to topics by this process',
      unit: '{message}',
    })
    .addCallback((result: ObservableResult) => result.observe(topicTotals.publishes));
  meter
    .createObservableCounter(MetricName.topicDeliveries, {
      description: 'Topic messages written to subscribers (one per subscriber)',
      unit: '{message}',
    })
    .addCallback((result: ObservableResult) => result.observe(topicTotals.deliveries));
  meter
    .createObservableUpDownCounter(MetricName.topicSubscriptions, {
      description: "Topic subscriptions of this process's connections",
      unit: '{subscription}',
    })
    .addCallback((result: ObservableResult) => result.observe(topicTotals.subscriptions));
}

/** A provider that records nothing (none registered) hands out the API's no-op meter. */
function isNoopMeter(api: OtelApiModule, meter: Meter): boolean {
  return meter instanceof (api.createNoopMeter().constructor as abstract new () => object);
}

function createInstruments(api: OtelApiModule, meter: Meter): Instruments | undefined {
  // Then nothing is kept per connection either (see hooks.ts, connectionOpened).
  if (isNoopMeter(api, meter)) return undefined;
  observeTotals(meter);
  return {
    activeConnections: meter.createUpDownCounter(MetricName.activeConnections, {
      description: 'WebSocket connections open now',
      unit: '{connection}',
    }),
    connectionDuration: meter.createHistogram(MetricName.connectionDuration, {
      description: 'How long WebSocket connections stayed open',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    handshakes: meter.createCounter(MetricName.handshakes, {
      description: 'Opening handshakes, accepted or refused (with the catalogue code)',
      unit: '{handshake}',
    }),
    closes: meter.createCounter(MetricName.closes, {
      description: 'Closed WebSocket connections, by close code and catalogue code',
      unit: '{connection}',
    }),
    backplaneLag: meter.createHistogram(MetricName.backplaneLag, {
      description: 'Time from a topic publish to its arrival on this node through the backplane',
      unit: 's',
      advice: { explicitBucketBoundaries: LAG_BUCKETS_S },
    }),
    backplaneReconnects: meter.createCounter(MetricName.backplaneReconnects, {
      description: 'Times live delivery from the backplane was interrupted and came back',
      unit: '{reconnect}',
    }),
    recoveries: meter.createCounter(MetricName.topicRecoveries, {
      description: 'Attempts to recover missed topic messages from history, by outcome',
      unit: '{recovery}',
    }),
  };
}

let cachedProvider: MeterProvider | undefined;
let cachedInstruments: Instruments | undefined;

/**
 * The instruments of the global meter provider, created once per provider: the OpenTelemetry
 * metrics API has no proxy, so a meter taken before the application registers its SDK would stay
 * a no-op. Looked up at lifecycle events only; undefined when nothing records.
 */
export function instruments(): Instruments | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  const provider = api.metrics.getMeterProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedInstruments = createInstruments(api, provider.getMeter(INSTRUMENTATION_SCOPE));
  }
  return cachedInstruments;
}

/** Attributes of a refused handshake, one object per code (refusals come in floods). */
const refusedAttributes = new Map<string, Attributes>();

export function refusedHandshakeAttributes(code: string): Attributes {
  let attributes = refusedAttributes.get(code);
  if (attributes === undefined) {
    attributes = {
      [AttributeName.outcome]: 'refused',
      [AttributeName.code]: code,
      [AttributeName.errorType]: code,
    };
    refusedAttributes.set(code, attributes);
  }
  return attributes;
}

export const acceptedHandshakeAttributes = ACCEPTED;

export function closeAttributes(closeCode: number, code: string | undefined): Attributes {
  const attributes: Record<string, string> = {
    [AttributeName.closeCode]: closeCodeAttribute(closeCode),
  };
  if (code !== undefined) {
    attributes[AttributeName.code] = code;
    attributes[AttributeName.errorType] = code;
  }
  return attributes;
}
