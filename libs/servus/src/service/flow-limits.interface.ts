/**
 * A function of a call's arguments naming the key a limit applies to (a user id, a tenant).
 * It runs once, at enqueue, in the caller's process; the key is stored with the job.
 * It must return a string (at most 200 characters, no control characters).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowKeyFunction = (args: any) => string;

/**
 * `async.concurrency` of `@Service()`: at most `limit` jobs of the service with the same key
 * run at once, across every worker process.
 *
 * @publicApi
 */
export interface ConcurrencyLimit {
  /** Jobs of one key running at once. A positive integer. */
  limit: number;
  /** The key of a call. Default: one key for the whole service. */
  key?: FlowKeyFunction;
  /**
   * How long a slot outlives a worker that stopped renewing it (killed, frozen). Renewed every third of
   * it while the job runs. Default 30000 ms.
   */
  leaseMs?: number;
}

/**
 * `async.rateLimit` of `@Service()`: at most `max` jobs of the service (per key, when `key` is given)
 * start in any window of `per`, across every worker process.
 *
 * @publicApi
 */
export interface RateLimit {
  /** Starts per window. A positive integer. */
  max: number;
  /** The window: milliseconds or '1s', '1m', '1h'. */
  per: number | string;
  /** The key of a call. Default: one key for the whole service. */
  key?: FlowKeyFunction;
}
