import type { Queue } from 'bullmq';
import type { RedisClient } from './redis-connection';
import { correlationIdOf } from './failed-job-response';

/** What status() and result() need of a job: its state and finish fields, never its arguments. */
export interface JobOutcome {
  /** A BullMQ state, or 'unknown' when the job does not exist (never enqueued, or removed). */
  state: string;
  /** The job's BullMQ name (its service, for a Servus job). */
  name?: string;
  attemptsMade: number;
  timestamp?: number;
  processedOn?: number;
  finishedOn?: number;
  /** The return value as stored (JSON text). */
  returnvalue?: string;
  failedReason?: string;
  /** The correlation id the job carried; read for failed jobs only, whose answer quotes it. */
  correlationId?: string;
}

/** The job hash's fields read (BullMQ writes attempts as 'atm', older versions 'attemptsMade'). */
const FIELDS = ['name', 'timestamp', 'processedOn', 'finishedOn', 'atm', 'attemptsMade', 'returnvalue', 'failedReason'];

/**
 * The state first, then the fields: read the other way round, a job finishing in between is
 * 'completed' without the return value the earlier read did not have yet. The cost does not
 * depend on the job's arguments: its `data` field is read only for a failed job, whose answer
 * quotes the correlation id (payloads are bounded by the module's limits).
 */
export async function readJobOutcome(queue: Queue, client: RedisClient, jobId: string): Promise<JobOutcome> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return { state, attemptsMade: 0 };
  const [name, timestamp, processedOn, finishedOn, atm, attemptsMade, returnvalue, failedReason] = await client.hmget(
    queue.toKey(jobId),
    ...FIELDS,
  );
  return {
    state,
    correlationId: state === 'failed' ? await correlationIdIn(client, queue.toKey(jobId)) : undefined,
    name: name ?? undefined,
    attemptsMade: Number(atm ?? attemptsMade ?? 0),
    timestamp: numberOrUndefined(timestamp),
    processedOn: numberOrUndefined(processedOn),
    finishedOn: numberOrUndefined(finishedOn),
    returnvalue: returnvalue ?? undefined,
    failedReason: failedReason ?? undefined,
  };
}

function numberOrUndefined(value: string | null): number | undefined {
  return value ? Number(value) : undefined;
}

async function correlationIdIn(client: RedisClient, key: string): Promise<string | undefined> {
  const data = await client.hget(key, 'data');
  try {
    return data ? correlationIdOf(JSON.parse(data)) : undefined;
  } catch {
    return undefined; // an undecodable payload carries no id worth quoting
  }
}
