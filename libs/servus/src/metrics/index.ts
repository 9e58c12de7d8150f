export { ServusMetricsModule } from './servus-metrics.module';
export { ServusMetrics } from './servus-metrics';
export { ServusMetricsOptions, DEFAULT_DURATION_BUCKETS } from './servus-metrics-options.interface';
