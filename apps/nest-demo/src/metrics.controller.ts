import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { startDemoMetrics } from '@wsgate/demo-kit';

/** GET /metrics: the OpenTelemetry metrics of every WebSocket, as Prometheus scrapes them. */
@Controller()
export class MetricsController {
  // Registered when Nest builds the module, before the gateways take their first handshake.
  readonly #metrics = startDemoMetrics();

  @Get('metrics')
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.#metrics.handle(request, response);
  }
}
