import { DynamicModule, Module } from '@nestjs/common';
import { createMetricsController } from './metrics.controller';
import { ServusMetrics } from './servus-metrics';
import { SERVUS_METRICS_OPTIONS, ServusMetricsOptions } from './servus-metrics-options.interface';

/**
 * Prometheus metrics for Servus, and `GET /metrics` to scrape them. Import it in the api and in
 * the worker (run with `runServusWorker(root, { http: { port } })` to give it an HTTP listener).
 *
 * @example
 * imports: [ServusModule.forRoot(...), ServusMetricsModule.forRoot()]
 *
 * @publicApi
 */
@Module({})
export class ServusMetricsModule {
  static forRoot(options: ServusMetricsOptions = {}): DynamicModule {
    const path = options.path ?? 'metrics';
    return {
      module: ServusMetricsModule,
      providers: [{ provide: SERVUS_METRICS_OPTIONS, useValue: options }, ServusMetrics],
      controllers: path === false ? [] : [createMetricsController(path)],
      exports: [ServusMetrics],
    };
  }
}
