import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
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
import { AsyncError, IdempotencyConflictError, JobEnqueueError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { BullmqQueues } from './bullmq-queues';
import { JobRequest, JobRequestBuilder } from './job-request';
import { argumentsDigest } from './idempotency';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './job-options';
import { BullmqSchedules } from './bullmq-schedules';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { correlationIdOf, responseOfFailedJob } from './failed-job-response';

/** `callAsync`, `status` and `result` on BullMQ. */
@Injectable()
export class BullmqDispatcher implements AsyncDispatcher {
  constructor(
    private readonly requests: JobRequestBuilder,
    private readonly queues: BullmqQueues,
    private readonly scheduler: BullmqSchedules,
  ) {}

  schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    return this.scheduler.schedule(definition, args, options);
  }

  schedules(): Promise<ScheduleInfo[]> {
    return this.scheduler.list();
  }

  unschedule(id: string, queue?: string): Promise<boolean> {
    return this.scheduler.remove(id, queue);
  }

  async enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    const service = definition.name;
    const request = this.requests.build(definition, args, options);
    try {
      // Bounded without a timer per call: readiness waits at most timeoutMs, and the producer's commands time out.
      const queue = await this.queues.ready(request.queue);
      await this.claimIdempotencyKey(request);
      const job = await queue.add(service, request.payload, request.options);
      return { jobId: job.id!, queue: request.queue, service };
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw error;
      throw new JobEnqueueError(service, `Redis did not take the job: ${(error as Error).message}`, { cause: error });
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
          for (const i of indexes) await this.claimIdempotencyKey(requests[i]);
          const jobs = await queue.addBulk(
            indexes.map((i) => ({
              name: items[i].definition.name,
              data: requests[i].payload,
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
      throw new JobEnqueueError(
        services,
        `Redis did not take the batch of ${items.length}: ${(error as Error).message}`,
        { cause: error },
      );
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

  async cancel(receipt: JobRef): Promise<CancelResult> {
    // The state is enough to decide: the job's hash (args, return value) is never read.
    const queue = await this.queues.ready(this.queueOf(receipt));
    const state = await queue.getJobState(receipt.jobId);
    if (state === 'unknown') return 'not-found';
    if (state === 'completed' || state === 'failed') return 'finished';
    // remove() answers 0 when the job is locked: a worker took it in between, so cancel it where it runs.
    if (state !== 'active' && (await queue.remove(receipt.jobId)) === 1) return 'removed';
    await this.queues.publish(
      this.queues.queueNames.cancelChannel,
      JSON.stringify({ queue: queue.name, jobId: receipt.jobId }),
    );
    return 'cancelling';
  }

  async status(receipt: JobRef): Promise<AsyncJobStatus | undefined> {
    // The state first, then the job: read the other way round, a job finishing in between is
    // 'completed' without the return value its earlier read did not have yet.
    const queue = await this.queues.ready(this.queueOf(receipt));
    const rawState = await queue.getJobState(receipt.jobId);
    if (rawState === 'unknown') return undefined;
    const job = await Job.fromId(queue, receipt.jobId);
    if (!job) return undefined;
    const state = rawState === 'failed' && job.failedReason?.startsWith(CANCELLED_PREFIX) ? 'cancelled' : rawState;
    const status: AsyncJobStatus = {
      state,
      attemptsMade: job.attemptsMade,
      timestamps: { enqueuedAt: job.timestamp, startedAt: job.processedOn, finishedAt: job.finishedOn },
    };
    if (state === 'completed') status.response = ServiceResponse.fromJSON(job.returnvalue);
    if (rawState === 'failed') {
      status.failedReason = job.failedReason;
      status.response = responseOfFailedJob(job.failedReason, job.attemptsMade, correlationIdOf(job.data));
    }
    return status;
  }

  async result(receipt: JobRef, timeoutMs: number): Promise<ServiceResponse> {
    const job = await this.job(receipt);
    if (!job)
      throw new AsyncError(
        `No job ${receipt.jobId} on queue ${this.queueOf(receipt)}: never enqueued, or removed after its retention`,
      );
    const events = await this.queues.queueEvents(job.queueName);
    try {
      return ServiceResponse.fromJSON(await job.waitUntilFinished(events, timeoutMs));
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('Job wait') && message.includes('timed out')) {
        throw new AsyncError(
          `Job ${receipt.jobId} (${receipt.service ?? job.name}) did not finish within ${timeoutMs}ms`,
        );
      }
      // Only a job that failed is a failure response; Redis trouble or a closing app is not the job's answer.
      const finished = await this.job(receipt).catch(() => undefined);
      if (finished && (await finished.isFailed()))
        return responseOfFailedJob(finished.failedReason, finished.attemptsMade, correlationIdOf(finished.data));
      throw new AsyncError(`Could not wait for job ${receipt.jobId} (${receipt.service ?? job.name}): ${message}`, {
        cause: error,
      });
    }
  }

  private async job(receipt: JobRef): Promise<Job | undefined> {
    return Job.fromId(await this.queues.ready(this.queueOf(receipt)), receipt.jobId);
  }

  private queueOf(receipt: JobRef): string {
    return this.queues.queueNames.resolve(receipt.queue);
  }
}
