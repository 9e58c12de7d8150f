import { Controller, Get, Res, Type } from '@nestjs/common';
import { ServusMetrics } from './servus-metrics';

/** GET `<path>`: the registry in Prometheus text format. A class per path, as the route is an option. */
export function createMetricsController(path: string): Type {
  @Controller()
  class ServusMetricsController {
    constructor(private readonly metrics: ServusMetrics) {}

    @Get(path)
    async scrape(
      @Res({ passthrough: true }) response: { header(name: string, value: string): unknown },
    ): Promise<string> {
      response.header('Content-Type', this.metrics.registry.contentType);
      return this.metrics.registry.metrics();
    }
  }
  return ServusMetricsController;
}
