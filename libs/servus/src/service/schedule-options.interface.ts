/**
 * When a scheduled service runs: `every` (ms or '30s', '5m', ...) or `cron` (with `tz`).
 *
 * @publicApi
 */
export interface ScheduleOptions {
  /** The scheduler's id: scheduling again with one id updates it (idempotent on restart). Default: the service name. */
  id?: string;
  every?: number | string;
  cron?: string;
  tz?: string;
  /** Default: the service's queue, else the module's defaultQueue. */
  queue?: string;
  /** Stop after this many runs. */
  limit?: number;
  /** Attempts and backoff of each run, as for callAsync. */
  attempts?: number;
  backoff?: number | { type: 'fixed' | 'exponential'; delay: number };
}

/** A schedule as stored in Redis. @publicApi */
export interface ScheduleInfo {
  id: string;
  queue: string;
  service: string;
  every?: number;
  cron?: string;
  tz?: string;
  /** When it next runs (epoch ms). */
  next?: number;
}
