import type { Registry } from 'prom-client';

/**
 * Options of `ServusMetricsModule.forRoot()`.
 *
 * @publicApi
 */
export interface ServusMetricsOptions {
  /** Where the metrics are registered. Default prom-client's global `register` (with your own metrics). */
  registry?: Registry;
  /** Prefix of every metric name. Default 'servus_'. */
  prefix?: string;
  /** Also collect Node's process metrics (prom-client's collectDefaultMetrics), once per registry. Default true. */
  defaultMetrics?: boolean;
  /** Buckets of the duration histogram, in seconds. */
  buckets?: number[];
  /** Route of the scrape endpoint; `false` mounts none (serve `ServusMetrics.registry` yourself). Default 'metrics'. */
  path?: string | false;
}

export const SERVUS_METRICS_OPTIONS = Symbol('servus:metrics_options');

export const DEFAULT_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
