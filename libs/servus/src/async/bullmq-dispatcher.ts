import { Injectable } from '@nestjs/common';
import {
  AsyncDispatcher,
  CancelResult,
  JOB_STATES,
  PreparedCall,
  QueueJobCounts,
} from '../execution/async-dispatcher.interface';
import { CANCELLED_PREFIX } from './failed-job-response';
import { AsyncJobStatus } from '../execution/async-job-status.interface';
import { AsyncReceipt, CallAsyncOptions, JobRef } from '../execution/call-async-options.interface';
import { IdempotencyConflictError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { BullmqQueues } from './bullmq-queues';
import { JobRequest, JobRequestBuilder } from './job-request';
import { argumentsDigest } from './idempotency';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './job-options';
import { BullmqSchedules } from './bullmq-schedules';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { responseOfFailedJob } from './failed-job-response';
import { FinishEvents } from './finish-events';
import { JobOutcome, readJobOutcome } from './job-outcome';
import { waitForResult } from './result-wait';
import { withJsonText } from './servus-queue';
import { CANCELLED_FAILURE, MARK_CANCELLED } from './cancel-mark';
import { couldNot, notTaken } from './could-not';

/** `callAsync`, `status` and `result` on BullMQ. */
@Injectable()
export class BullmqDispatcher implements AsyncDispatcher {
  constructor(
    private readonly requests: JobRequestBuilder,
    private readonly queues: BullmqQueues,
    private readonly scheduler: BullmqSchedules,
    private readonly events: FinishEvents,
  ) {}

  schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    return this.scheduler.schedule(definition, args, options);
  }

  /** Redis's error as AsyncError, as status() and cancel() give it. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.scheduler.list().catch((error: unknown) => couldNot('list the schedules', error));
  }

  unschedule(id: string, queue?: string): Promise<boolean> {
    return this.scheduler.remove(id, queue).catch((error: unknown) => couldNot(`remove the schedule "${id}"`, error));
  }

  async enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    const service = definition.name;
    const request = this.requests.build(definition, args, options);
    try {
      // Bounded without a timer of Servus's per call: readiness waits at most timeoutMs, and ioredis times out the
      // producer's commands (commandTimeout).
      // A ready producer and no idempotency key: the job goes to BullMQ in this tick, with no await before it (each
      // one is a turn of the event loop's microtasks before the job is written, paid cold by a lone call).
      const ready = this.queues.readyNow(request.queue);
      const queue = ready instanceof Promise ? await ready : ready;
      if (request.options.deduplication) await this.claimIdempotencyKey(request);
      const job = await queue.add(service, withJsonText(request.payload, request.json), request.options);
      return { jobId: job.id!, queue: request.queue, service };
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw error;
      throw notTaken(service, 'the job', error);
    }
  }

  /** An idempotency key is bound to the first call's arguments: the same key with others is refused, not deduplicated. */
  private async claimIdempotencyKey({ queue, payload, options }: JobRequest): Promise<void> {
    const dedup = options.deduplication;
    if (!dedup) return;
    const digest = argumentsDigest(payload.service, payload.args);
    const bound = await this.queues.claimIdempotencyKey(
      queue,
      dedup.id,
      digest,
      dedup.ttl ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    );
    if (bound !== null && bound !== digest) throw new IdempotencyConflictError(payload.service, dedup.id);
  }

  async enqueueMany(items: PreparedCall[]): Promise<AsyncReceipt[]> {
    const requests = this.requests.buildMany(items);
    const byQueue = new Map<string, number[]>();
    requests.forEach((request, i) => {
      const indexes = byQueue.get(request.queue);
      if (indexes) indexes.push(i);
      else byQueue.set(request.queue, [i]);
    });
    const receipts = new Array<AsyncReceipt>(items.length);
    try {
      await Promise.all(
        [...byQueue].map(async ([queueName, indexes]) => {
          const queue = await this.queues.ready(queueName);
          // One after the other, in the batch's order (two items may share a key); no tick for an item without one.
          for (const i of indexes) if (requests[i].options.deduplication) await this.claimIdempotencyKey(requests[i]);
          const jobs = await queue.addBulk(
            indexes.map((i) => ({
              name: items[i].definition.name,
              data: withJsonText(requests[i].payload, requests[i].json),
              opts: requests[i].options,
            })),
          );
          jobs.forEach(
            (job, k) =>
              (receipts[indexes[k]] = { jobId: job.id!, queue: queueName, service: items[indexes[k]].definition.name }),
          );
        }),
      );
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw error;
      const services = [...new Set(items.map((item) => item.definition.name))].join(', ');
      throw notTaken(services, `the batch of ${items.length}`, error);
    }
    return receipts;
  }

  async jobCounts(): Promise<QueueJobCounts[]> {
    return Promise.all(
      this.queues.queueNames.all.map(async (queue) => {
        const counts = await (await this.queues.ready(queue)).getJobCounts(...JOB_STATES);
        return { queue, counts: counts as QueueJobCounts['counts'] };
      }),
    );
  }

  /** Redis's error (or an unreadable stored field) as AsyncError, as result() and the outbox's lookups give it. */
  cancel(receipt: JobRef): Promise<CancelResult> {
    return this.cancelJob(receipt).catch((error: unknown) => couldNot(`cancel job ${receipt.jobId}`, error));
  }

  private async cancelJob(receipt: JobRef): Promise<CancelResult> {
    // The state is enough to decide: the job's hash (args, return value) is never read.
    const queue = await this.queues.ready(this.queueOf(receipt));
    const state = await queue.getJobState(receipt.jobId);
    if (state === 'unknown') return 'not-found';
    if (state === 'completed' || state === 'failed') return 'finished';
    // remove() answers 0 when the job is locked: a worker took it in between, so cancel it where it runs.
    if (state !== 'active' && (await queue.remove(receipt.jobId)) === 1) return 'removed';
    // Kept with the job for a worker that does not hear the message: its own, dead, leaves it to stall recovery.
    const marked = await (
      await this.queues.redis()
    ).eval(MARK_CANCELLED, 1, queue.toKey(receipt.jobId), CANCELLED_FAILURE);
    // Removed or finished since its state was read.
    if (marked === 0) return 'not-found';
    if (marked === -1) return 'finished';
    await this.queues.publish(
      this.queues.queueNames.cancelChannel,
      JSON.stringify({ queue: queue.name, jobId: receipt.jobId }),
    );
    return 'cancelling';
  }

  status(receipt: JobRef): Promise<AsyncJobStatus | undefined> {
    return this.readStatus(receipt).catch((error: unknown) =>
      couldNot(`read the status of job ${receipt.jobId}`, error),
    );
  }

  private async readStatus(receipt: JobRef): Promise<AsyncJobStatus | undefined> {
    const outcome = await this.readOutcome(receipt);
    if (outcome.state === 'unknown') return undefined;
    const { state: rawState, failedReason = '', attemptsMade } = outcome;
    const state = rawState === 'failed' && failedReason.startsWith(CANCELLED_PREFIX) ? 'cancelled' : rawState;
    const status: AsyncJobStatus = {
      state,
      attemptsMade,
      timestamps: {
        enqueuedAt: outcome.timestamp ?? 0,
        startedAt: outcome.processedOn,
        finishedAt: outcome.finishedOn,
      },
    };
    if (state === 'completed' && outcome.returnvalue !== undefined)
      status.response = ServiceResponse.fromJSON(JSON.parse(outcome.returnvalue));
    if (rawState === 'failed') {
      status.failedReason = failedReason;
      status.response = responseOfFailedJob(failedReason, attemptsMade, outcome.correlationId);
    }
    return status;
  }

  /**
   * Waits on Servus's own terms (not BullMQ's waitUntilFinished): one shared event reader for
   * all waits, every Redis error retried until `timeoutMs`, AsyncError at the deadline.
   */
  async result(receipt: JobRef, timeoutMs: number): Promise<ServiceResponse> {
    // An undeclared queue rejects (async), as every other dispatcher method does.
    return waitForResult({
      queue: this.queueOf(receipt),
      jobId: receipt.jobId,
      service: receipt.service,
      timeoutMs,
      events: this.events,
      read: () => this.readOutcome(receipt),
    });
  }

  /** State and finish fields of a job, not its arguments: the cost does not grow with them. */
  private async readOutcome(receipt: JobRef): Promise<JobOutcome> {
    const queue = await this.queues.ready(this.queueOf(receipt));
    return readJobOutcome(queue, await this.queues.redis(), receipt.jobId);
  }

  private queueOf(receipt: JobRef): string {
    return this.queues.queueNames.resolve(receipt.queue);
  }
}
