import { ClassRef } from '../util/class-ref';
/**
 * Options of `callAsync`. They go to the job, never into the service's arguments.
 *
 * @publicApi
 */
export interface CallAsyncOptions {
  /** A queue listed in the module's `queues`. Default: the service's queue, else `defaultQueue`. */
  queue?: string;
  /**
   * Higher runs first, as in Servus (1 to 2,097,151). Mapped onto BullMQ's scale, where 1 is
   * highest. As in BullMQ, jobs given no priority are taken before prioritized ones.
   */
  priority?: number;
  /** Delay before the job may run: milliseconds or a duration such as '500ms', '30s', '5m', '2h', '1d'. */
  wait?: number | string;
  /** Run no earlier than this time. Exclusive with `wait`. */
  waitUntil?: Date;
  /** A job with this id is enqueued once while it is kept in Redis (see result retention); it names the job. */
  jobId?: string;
  /**
   * Idempotency: calls with the same key within `idempotencyTtl` enqueue one job, and all get
   * its receipt, even after it has completed (BullMQ deduplication). Unlike `jobId` it does
   * not name the job and does not depend on retention.
   */
  idempotencyKey?: string;
  /** How long an idempotency key holds: ms or a duration ('24h', '30d'), 1 ms to 1e14 ms. Default 24 hours. */
  idempotencyTtl?: number | string;
  /** Runs in all, retries included. Default 3 (or the service's `async.attempts`). */
  attempts?: number;
  /** Delay between retries: ms (fixed) or `{ type: 'fixed' | 'exponential', delay }`. */
  backoff?: number | { type: 'fixed' | 'exponential'; delay: number };
  /** Passed through to BullMQ's JobsOptions, under the options above. */
  jobOptions?: Record<string, unknown>;
  /**
   * An open transaction of your data layer (TypeORM: the transaction's EntityManager). The job is
   * written to the outbox table inside it and reaches Redis once it commits; a rollback leaves no
   * job. Needs the module's `outbox` option. Not combinable with `idempotencyKey`.
   */
  transaction?: unknown;
}

/** One item of `callAsyncMany`. @publicApi */
export interface AsyncCall {
  service: ClassRef | string;
  args?: unknown;
  options?: CallAsyncOptions;
}

/** A job to ask about: a receipt, or a job id (then on the module's default queue unless `queue` says). @publicApi */
export interface JobRef {
  jobId: string;
  queue?: string;
  service?: string;
}

/** What `callAsync` resolves to once the job is in Redis. @publicApi */
export interface AsyncReceipt {
  jobId: string;
  queue: string;
  service: string;
}
