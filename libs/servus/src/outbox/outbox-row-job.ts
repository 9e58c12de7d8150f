import type { JobsOptions } from 'bullmq';
import { isPlainObject } from '../util/is-plain-object';
import { ownCopy } from '../util/own-copy';
import { OutboxRow } from './outbox-store.interface';

/**
 * The row as a job, under the row's `job_id` (its identity, what the receipt names) whatever its options say: an
 * edited row must still make one job under the id its caller holds. A `wait` that has passed while the row waited
 * is dropped, so the job does not wait twice.
 */
export function toJob(row: OutboxRow): { name: string; data: unknown; opts: JobsOptions } {
  const opts = ownCopy<JobsOptions>(rowOptions(row), { jobId: row.jobId });
  const now = Date.now();
  if (opts.delay && (opts.timestamp ?? now) + opts.delay <= now) delete opts.delay;
  return { name: row.name, data: row.payload, opts };
}

/** When the row's call was made: its options' `timestamp`, or the row's `created_at` when an edit left none. */
export function enqueuedAt(row: OutboxRow): number {
  const timestamp = rowOptions(row).timestamp;
  return typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : row.createdAt.getTime();
}

/** The row's options column; one that is not an object (edited to null, a number, an array) is read as none. */
function rowOptions(row: OutboxRow): Record<string, unknown> {
  return isPlainObject(row.options) ? row.options : {};
}

/**
 * Whether BullMQ refused the row itself (a job id or option it will never take), so retrying it
 * can never succeed. A Redis reply (OOM at maxmemory, READONLY during a failover, LOADING) or a
 * connection error is transient: the relay backs off and tries again, the row stays in the outbox.
 */
export function isRowRefusal(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'ReplyError') return false;
  return !/OOM|READONLY|LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MOVED|ASK|connect|closed|ECONN|EPIPE|timed? ?out|writeable/i.test(
    error.message,
  );
}
