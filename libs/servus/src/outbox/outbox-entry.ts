import { CallAsyncOptions } from '../execution/call-async-options.interface';
import { JobRequest, SIGNED_JOB_ID_PREFIX } from '../async/job-request';
import { findNonJson } from '../async/job-payload.codec';
import { JobEnqueueError } from '../response/async-errors';
import { OutboxEntry } from './outbox-store.interface';
import { OUTBOX_MAX_KEY_LENGTH } from './outbox-table';
import { ownCopy } from '../util/own-copy';
import { bullJobIdProblem } from '../async/job-options';
import { withNewJobId } from '../execution/with-new-job-id';

/** Job ids the outbox makes: a prefix BullMQ accepts (never an integer, no ':'), then a UUID. */
export const OUTBOX_JOB_ID_PREFIX = 'outbox-';

/** Why a `transaction` is refused: not an open transaction of the outbox store (OutboxStore.accepts). */
export const NOT_AN_OPEN_TRANSACTION =
  'transaction is not an open transaction of the outbox store (TypeORM: the EntityManager dataSource.transaction() hands over)';

/** A call bound for the outbox, its job id fixed. */
export type OutboxCall = CallAsyncOptions & { jobId: string };

/**
 * The call with its job id fixed before its job request is built (a signature binds the id): the
 * caller's `jobId`, else a new outbox id.
 */
export function withOutboxJobId(call: CallAsyncOptions): OutboxCall {
  return call.jobId === undefined ? withNewJobId(call, OUTBOX_JOB_ID_PREFIX) : ownCopy<OutboxCall>(call);
}

/**
 * A call as its job request is built: with a transaction, its outbox job id fixed first (as
 * `withOutboxJobId`); without, as it is. Production's dispatcher and the testing queue both use it.
 */
export function withOutboxJobIdIfTransactional(call: CallAsyncOptions): CallAsyncOptions {
  return call.transaction === undefined ? call : withOutboxJobId(call);
}

/**
 * The outbox row of a checked job request (the same request a direct callAsync would send), under
 * the job id `withOutboxJobId` fixed, the call time kept so `wait` counts from the call, not from the
 * relay. Whatever BullMQ would refuse later, in the relay, is refused here.
 */
export function outboxEntry(service: string, request: JobRequest, call: OutboxCall): OutboxEntry {
  if (call.idempotencyKey !== undefined)
    throw new JobEnqueueError(
      service,
      'idempotencyKey cannot be combined with transaction: pass jobId instead (a job id is enqueued once)',
      { kind: 'refused' },
    );
  const jobId = call.jobId;
  const problem = jobIdProblem(jobId) ?? findNonJson(request.options, 'jobOptions');
  if (problem) throw new JobEnqueueError(service, problem, { kind: 'refused' });
  const longName = [request.queue, service].find((name) => name.length > OUTBOX_MAX_KEY_LENGTH);
  if (longName)
    throw new JobEnqueueError(service, `names longer than ${OUTBOX_MAX_KEY_LENGTH} do not fit the outbox`, {
      kind: 'misconfigured',
    });
  return {
    queue: request.queue,
    jobId,
    name: service,
    payload: request.payload,
    options: ownCopy(request.options, { jobId, timestamp: Date.now() }),
  };
}

/**
 * Whether an outbox row can have this job id (what `outboxEntry` accepts): BullMQ's own numbers,
 * schedule runs (`repeat:...`), signed direct jobs (`servus-<uuid>`) and overlong ids cannot, so
 * their lookups skip the database.
 */
export function canBeOutboxJobId(jobId: unknown): boolean {
  return jobIdProblem(jobId) === undefined;
}

function jobIdProblem(jobId: unknown): string | undefined {
  if (typeof jobId !== 'string' || jobId === '') return `jobId must be a non-empty string, got ${typeof jobId}`;
  if (jobId.length > OUTBOX_MAX_KEY_LENGTH) return `jobId is longer than ${OUTBOX_MAX_KEY_LENGTH} characters`;
  const refused = bullJobIdProblem(jobId);
  if (refused) return refused;
  if (jobId.startsWith(SIGNED_JOB_ID_PREFIX))
    return `jobId must not start with "${SIGNED_JOB_ID_PREFIX}": Servus gives such ids to signed jobs sent without the outbox`;
  return undefined;
}
