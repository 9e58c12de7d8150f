import { ScheduleOptions } from './schedule-options.interface';
import { ConcurrencyLimit, RateLimit } from './flow-limits.interface';

/** Per-service defaults for `callAsync` (a call's own options win). */
export interface ServiceAsyncOptions {
  queue?: string;
  attempts?: number;
  backoff?: number | { type: 'fixed' | 'exponential'; delay: number };
  priority?: number;
  /** At most `limit` jobs with the same key run at once, across all workers (see docs/flow-control.md). */
  concurrency?: ConcurrencyLimit;
  /** At most `max` starts per `per` window, per key or per service, across all workers. */
  rateLimit?: RateLimit;
}

/**
 * Options of `@Service()`.
 *
 * @publicApi
 */
export interface ServiceOptions {
  /** The registered name, used by the worker and in logs. Default: the class name. */
  name?: string;
  /** Default queue for `callAsync`. Default: the module's `defaultQueue`. */
  queue?: string;
  /** Async defaults: attempts, backoff, priority. */
  async?: ServiceAsyncOptions;
  /** Argument contract: a JSON Schema object or a class-validator DTO class. */
  arguments?: object;
  /** Result contract for success data: a JSON Schema object or a class-validator DTO class. */
  result?: object;
  /**
   * Deadline of one call (ms, or '30s', '5m'): at it, `context.signal` aborts and the call ends with
   * a ServiceTimeoutError failure (retryable: a job is retried per its attempts). Default: the
   * module's `defaultTimeout`, else none.
   */
  timeout?: number | string;
  /** Run on a schedule, set up by the worker processes at boot (idempotent): `{ every | cron, tz?, args?, id? }`. */
  schedule?: ScheduleOptions & { args?: unknown };
}
