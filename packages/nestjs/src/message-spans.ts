import type { Span } from '@opentelemetry/api';
import { AttributeName } from '@wsgate/core';
import { otelApi } from '@wsgate/core/adapter';

/** The optional peer's module, for types only (published declarations never name it). */
type OtelApi = typeof import('@opentelemetry/api');

/** The instrumentation scope of the message spans. */
export const MESSAGE_TRACER_NAME = '@wsgate/nestjs';

/** Attribute of a message span: the `@SubscribeMessage` pattern the handler serves. */
export const MESSAGE_PATTERN_ATTRIBUTE = 'wsgate.message.pattern';

/**
 * Runs one `@SubscribeMessage` handler in a span named after its pattern (the active span while
 * it runs, so that the application's own spans nest in it). The span ends when the handler's
 * returned promise settles, at once otherwise; `failed` marks it as an error by its code.
 * Without `@opentelemetry/api` (or with no tracer provider recording) the handler just runs.
 */
export function inMessageSpan(
  pattern: string,
  path: string,
  run: (span: Span | undefined) => unknown,
): unknown {
  const api = otelApi() as OtelApi | undefined;
  if (api === undefined) return run(undefined);
  const span = api.trace.getTracer(MESSAGE_TRACER_NAME).startSpan(pattern, {
    kind: api.SpanKind.SERVER,
    attributes: { [MESSAGE_PATTERN_ATTRIBUTE]: pattern, 'url.path': path },
  });
  if (!span.isRecording()) return run(undefined);
  let result: unknown;
  try {
    result = api.context.with(api.trace.setSpan(api.context.active(), span), () => run(span));
  } catch (error) {
    span.end();
    throw error;
  }
  if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
    span.end();
    return result;
  }
  const end = (): void => span.end();
  (result as PromiseLike<unknown>).then(end, end);
  return result;
}

/** The handler failed: its span (if any, and still open) carries the code and an error status. */
export function markMessageSpanFailed(span: Span | undefined, code: string, error?: unknown): void {
  if (span === undefined || !span.isRecording()) return;
  span.setAttributes({ [AttributeName.code]: code, [AttributeName.errorType]: code });
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: (otelApi() as OtelApi | undefined)?.SpanStatusCode.ERROR ?? 2,
    message: code,
  });
}
