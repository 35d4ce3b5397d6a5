import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The Prometheus text exposition format's content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Attributes renamed for Prometheus: the demo contract gives refusals and closes a `code` label,
 * where OpenTelemetry's attribute is `wsgate.code` (which the exporter would write `wsgate_code`).
 */
const PROMETHEUS_LABELS: Readonly<Record<string, string>> = { 'wsgate.code': 'code' };

/** Collected when Prometheus scrapes (the pull model): nothing runs between scrapes. */
class ScrapeReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function relabel(collected: ResourceMetrics): ResourceMetrics {
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints) {
        for (const [from, to] of Object.entries(PROMETHEUS_LABELS)) {
          const value = point.attributes[from];
          if (value === undefined) continue;
          const attributes: Record<string, unknown> = { ...point.attributes, [to]: value };
          delete attributes[from];
          (point as { attributes: unknown }).attributes = attributes;
        }
      }
    }
  }
  return collected;
}

/** The demo's metrics: a meter provider registered for the process, read on each scrape. */
export interface DemoMetrics {
  /** The Prometheus text exposition of every wsgate metric now. */
  scrape(): Promise<string>;
  /** `GET /metrics` for a Node request (every framework can hand its raw request on). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

let registered: DemoMetrics | undefined;

/**
 * Registers an OpenTelemetry meter provider for the process (once; later calls get the same),
 * whose metrics are served as a Prometheus exposition by the official serializer. Called before
 * the app's WebSocket servers take their first handshake, as any OpenTelemetry SDK setup is.
 */
export function startDemoMetrics(): DemoMetrics {
  if (registered !== undefined) return registered;
  const reader = new ScrapeReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  // No target_info nor otel_scope_info lines: every metric of the exposition is a wsgate_ one.
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  const scrape = async (): Promise<string> => {
    const { resourceMetrics } = await reader.collect();
    return serializer.serialize(relabel(resourceMetrics));
  };
  registered = {
    scrape,
    handle(request, response) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      scrape().then(
        (text) => {
          response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'Content-Type': 'text/plain' });
          response.end(`# metrics collection failed: ${String(error)}\n`);
        },
      );
    },
    shutdown: () => provider.shutdown(),
  };
  return registered;
}
