import type { JobsOptions } from 'bullmq';
import { CallAsyncOptions } from '../execution/call-async-options.interface';
import { ServiceAsyncOptions } from '../service/service-options.interface';
import { parseDuration } from '../util/duration';
import { ownCopy } from '../util/own-copy';

/** BullMQ's priorities run 1 (highest) to 2,097,151; Servus's run the other way. */
export const MAX_PRIORITY = 2_097_151;

/** The largest raw priority BullMQ takes in `jobOptions` (0 is none). */
const MAX_BULL_PRIORITY = 2_097_152;

export const DEFAULT_IDEMPOTENCY_TTL = '24h';
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Used when neither the module, the service nor the call says otherwise. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  // Results stay readable for a time, whatever the throughput (a count would drop them sooner the busier the queue).
  // Redis holds every finished job of that window: docs/performance.md gives the bytes; `count` in
  // defaultJobOptions.removeOnComplete/removeOnFail bounds it.
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * The BullMQ options of one job: defaults < module `defaultJobOptions` < the service's
 * `async` options < the call's `jobOptions` < the call's own named options.
 */
export function buildJobOptions(
  moduleDefaults: JobsOptions | undefined,
  service: ServiceAsyncOptions | undefined,
  call: CallAsyncOptions,
): JobsOptions {
  return withCallOptions(baseJobOptions(moduleDefaults, service), call);
}

/** What every job of one service starts from (the same for each call: computed once per service by JobRequestBuilder). */
export function baseJobOptions(
  moduleDefaults: JobsOptions | undefined,
  service: ServiceAsyncOptions | undefined,
): Readonly<JobsOptions> {
  return { ...DEFAULT_JOB_OPTIONS, ...moduleDefaults, ...pickDefined(service) };
}

/** A service's base options with one call's on top. */
export function withCallOptions(base: Readonly<JobsOptions>, call: CallAsyncOptions): JobsOptions {
  // ownCopy, not spread: the options take the call's keys below (see ownCopy).
  const options = ownCopy<JobsOptions>(base, call.jobOptions);
  // Only when there is one: `delete` turns the object into a slow dictionary for BullMQ's every read of it.
  if ('queue' in options) delete (options as { queue?: string }).queue;
  if (call.attempts !== undefined) options.attempts = call.attempts;
  if (call.backoff !== undefined) options.backoff = call.backoff;
  if (call.jobId !== undefined) options.jobId = call.jobId;
  if (call.idempotencyKey !== undefined) {
    if (typeof call.idempotencyKey !== 'string' || call.idempotencyKey === '')
      throw new TypeError('idempotencyKey must be a non-empty string');
    options.deduplication = { id: call.idempotencyKey, ttl: idempotencyTtlOf(call.idempotencyTtl) };
  }
  if (call.priority !== undefined) options.priority = toBullPriority(call.priority);
  const delay = delayOf(call);
  if (delay !== undefined) options.delay = delay;
  if (!Number.isInteger(options.attempts) || options.attempts! < 1) {
    throw new TypeError(`attempts must be an integer of at least 1, got ${String(options.attempts)}`);
  }
  // What BullMQ would refuse inside queue.add, where it would read as Redis trouble: refused here as the call's.
  const idProblem = bullJobIdProblem(options.jobId);
  if (idProblem) throw new TypeError(idProblem);
  const raw = options.priority;
  if (raw !== undefined && !(Number.isInteger(raw) && raw >= 0 && raw <= MAX_BULL_PRIORITY))
    throw new TypeError(`jobOptions.priority must be an integer from 0 to ${MAX_BULL_PRIORITY} (BullMQ's), got ${raw}`);
  return options;
}

/** Why BullMQ refuses a job id (an integer's digits, or ':'), or undefined. */
export function bullJobIdProblem(jobId: unknown): string | undefined {
  if (typeof jobId !== 'string') return undefined;
  if (jobId.includes(':')) return `jobId must not contain ':' (BullMQ refuses it)`;
  if (/^\d+$/.test(jobId)) return 'jobId must not be an integer (BullMQ refuses it): prefix it, e.g. "report-42"';
  return undefined;
}

/**
 * The longest idempotencyTtl (1e14 ms, about 3,170 years): numbers from 1e21 are written with an exponent, which
 * Redis refuses; this bound stays well below them.
 */
export const MAX_IDEMPOTENCY_TTL_MS = 1e14;

/**
 * Whole milliseconds, from 1 to MAX_IDEMPOTENCY_TTL_MS: the key's claim is a `SET ... PX`, which Redis refuses for 0,
 * a fraction or a number written with an exponent (1e21 is sent as `1e+21`). Past 2^31 - 1 ms is fine: Redis and
 * BullMQ's deduplication take it ('30d').
 */
function idempotencyTtlOf(ttl: number | string = DEFAULT_IDEMPOTENCY_TTL): number {
  const ms = Math.round(parseDuration(ttl));
  if (ms < 1) throw new TypeError(`idempotencyTtl must be at least 1ms, got ${JSON.stringify(ttl)}`);
  if (!(ms <= MAX_IDEMPOTENCY_TTL_MS))
    throw new TypeError(`idempotencyTtl must be at most ${MAX_IDEMPOTENCY_TTL_MS}ms, got ${String(ttl)}`);
  return ms;
}

function toBullPriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 1 || priority > MAX_PRIORITY) {
    throw new TypeError(`priority must be an integer from 1 to ${MAX_PRIORITY} (higher runs first), got ${priority}`);
  }
  return MAX_PRIORITY + 1 - priority;
}

function delayOf({ wait, waitUntil }: CallAsyncOptions): number | undefined {
  if (wait !== undefined && waitUntil !== undefined) throw new TypeError('pass either wait or waitUntil, not both');
  if (wait !== undefined) return parseDuration(wait);
  if (waitUntil === undefined) return undefined;
  if (!(waitUntil instanceof Date) || Number.isNaN(waitUntil.getTime())) {
    throw new TypeError(`waitUntil must be a valid Date, got ${String(waitUntil)}`);
  }
  return Math.max(0, waitUntil.getTime() - Date.now());
}

function pickDefined(service: ServiceAsyncOptions | undefined): Partial<JobsOptions> {
  if (!service) return {};
  const options: Partial<JobsOptions> = {};
  if (service.attempts !== undefined) options.attempts = service.attempts;
  if (service.backoff !== undefined) options.backoff = service.backoff;
  // Here, not after jobOptions: a raw BullMQ priority in the call's jobOptions outranks the service's default.
  if (service.priority !== undefined) options.priority = toBullPriority(service.priority);
  return options;
}
