import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { AsyncJobStatus } from './async-job-status.interface';
import { AsyncReceipt, CallAsyncOptions, JobRef } from './call-async-options.interface';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';

/**
 * The one seam between the executor and a job system. The BullMQ adapter in `async/`
 * implements it; the testing adapters (fake, inline) plug in at the same place.
 */
export interface AsyncDispatcher {
  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt>;
  /** All or nothing per queue: every item is checked before any is sent. Receipts in item order. */
  enqueueMany(items: PreparedCall[]): Promise<AsyncReceipt[]>;
  /** undefined when there is no such job (never enqueued, or removed after its retention). */
  status(job: JobRef): Promise<AsyncJobStatus | undefined>;
  result(job: JobRef, timeoutMs: number): Promise<ServiceResponse>;
  cancel(job: JobRef): Promise<CancelResult>;
  schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo>;
  schedules(): Promise<ScheduleInfo[]>;
  unschedule(id: string, queue?: string): Promise<boolean>;
  /** How many jobs each of the module's queues holds, by state (the metrics' queue depth). */
  jobCounts(): Promise<QueueJobCounts[]>;
}

/** The states a queue's depth is reported in. */
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export interface QueueJobCounts {
  queue: string;
  counts: Record<(typeof JOB_STATES)[number], number>;
}

/** A call resolved and validated by the executor, ready for the adapter. */
export interface PreparedCall {
  definition: ServiceDefinition;
  args: unknown;
  options: CallAsyncOptions;
}

/**
 * What `cancel` did: 'removed' (it had not started), 'cancelling' (it runs: its signal is
 * aborted, the job ends cancelled once the service stops), 'finished' (too late), 'not-found'.
 */
export type CancelResult = 'removed' | 'cancelling' | 'finished' | 'not-found';

export const ASYNC_DISPATCHER = Symbol('servus:async_dispatcher');
