import { CANCELLED_PREFIX } from './failed-job-response';

/** Why a job cancelled by executor.cancel() fails (after CANCELLED_PREFIX). */
export const CANCEL_REASON = 'cancelled by executor.cancel()';

/**
 * Marks an existing job to fail as cancelled at its next fetch, without running, by BullMQ's deferred failure (the
 * `defa` field its worker checks before the processor; stall recovery writes it too). For a job cancel() could not
 * remove: pub/sub reaches only the workers listening now, and a job whose worker died stays active under its lock
 * until stall recovery hands it to another worker. Never recreates the hash of a job removed meanwhile (0), and never
 * marks a job that finished since cancel() read its state (-1): BullMQ keeps `defa` through a completion and a manual
 * retry, which would fail the retried job as cancelled without running it. 1 when marked.
 */
export const MARK_CANCELLED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'finishedOn') == 1 then return -1 end
redis.call('HSET', KEYS[1], 'defa', ARGV[1])
return 1`;

/**
 * Removes the mark from a job that finished with it (it completed before its worker heard the cancellation): BullMQ
 * clears `defa` when a job fails for good, never when it completes. A job not finished keeps it (-1).
 */
export const CLEAR_FINISHED_MARK = `
if redis.call('HEXISTS', KEYS[1], 'finishedOn') == 0 then return -1 end
return redis.call('HDEL', KEYS[1], 'defa')`;

/** The reason MARK_CANCELLED writes. */
export const CANCELLED_FAILURE = CANCELLED_PREFIX + CANCEL_REASON;
