import { metrics } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { otelApiLoaded } from '../../src/observability/otel-api.js';

/** A reader the test collects from when it wants (the SDK's pull model, as Prometheus uses). */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The real OpenTelemetry metrics SDK, registered as the global meter provider for a test file. */
export interface MetricsSdk {
  /** Every data point of `name` whose attributes include `attributes`, summed (sums and gauges). */
  sum(name: string, attributes?: Record<string, string>): Promise<number>;
  /** How many values the histogram `name` recorded. */
  histogramCount(name: string): Promise<number>;
  /** The attribute sets of the data points of `name`. */
  attributeSets(name: string): Promise<Array<Record<string, unknown>>>;
  shutdown(): Promise<void>;
}

function pointsOf(collected: ResourceMetrics, name: string): DataPoint<unknown>[] {
  return collected.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
}

function matches(point: DataPoint<unknown>, attributes: Record<string, string>): boolean {
  return Object.entries(attributes).every(([key, value]) => point.attributes[key] === value);
}

export async function registerMetricsSdk(): Promise<MetricsSdk> {
  await otelApiLoaded;
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.disable();
  metrics.setGlobalMeterProvider(provider);
  const collect = async (): Promise<ResourceMetrics> => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics;
  };
  return {
    async sum(name, attributes = {}) {
      return pointsOf(await collect(), name)
        .filter((point) => matches(point, attributes))
        .reduce((total, point) => total + (point.value as number), 0);
    },
    async histogramCount(name) {
      return pointsOf(await collect(), name).reduce(
        (total, point) => total + (point.value as Histogram).count,
        0,
      );
    },
    async attributeSets(name) {
      return pointsOf(await collect(), name).map((point) => ({ ...point.attributes }));
    },
    async shutdown() {
      metrics.disable();
      await provider.shutdown();
    },
  };
}

/** Polls an asynchronous condition (a collection) until it holds, within a bound. */
export async function eventually(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
