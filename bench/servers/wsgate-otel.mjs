import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { start as startWsgate } from './wsgate.mjs';

/**
 * wsgate's standalone server (wsgate.mjs) with the OpenTelemetry SDK registered for metrics and
 * traces, as an application that exports them would run it: every instrument and every
 * handshake span records, and the metrics are collected every second (a Prometheus scrape is
 * usually every 15 s) into an exporter kept in memory. Opt-in: `--servers wsgate,wsgate-otel`.
 */
export async function start(options) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const spans = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  // Only the last export is kept: memory stays flat however long the run.
  const keepLast = setInterval(() => exporter.reset(), 5_000);
  keepLast.unref();
  const handle = await startWsgate(options);
  return { ...handle, info: { ...handle.info, openTelemetry: 'sdk-metrics + sdk-trace-base' } };
}
