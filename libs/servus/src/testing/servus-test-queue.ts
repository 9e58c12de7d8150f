/* eslint-disable @typescript-eslint/require-await --
   The methods implement the dispatcher port without I/O; `async` keeps a failed check (an unknown queue) a
   rejection, as the BullMQ dispatcher's is. */
import { ClassRef } from '../util/class-ref';
import { Inject, Injectable } from '@nestjs/common';
import type { Job, JobsOptions } from 'bullmq';
import { AsyncDispatcher, CancelResult, PreparedCall, QueueJobCounts } from '../execution/async-dispatcher.interface';
import { AsyncJobStatus } from '../execution/async-job-status.interface';
import { AsyncReceipt, CallAsyncOptions, JobRef } from '../execution/call-async-options.interface';
import { JobRequest, JobRequestBuilder } from '../async/job-request';
import { JobPayload } from '../async/job-payload.codec';
import { responseOfFailedJob } from '../async/failed-job-response';
import { ServusJobProcessor } from '../async/servus-job.processor';
import { AsyncError, IdempotencyConflictError } from '../response/async-errors';
import { argumentsDigest } from '../async/idempotency';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { repeatOf } from '../async/bullmq-schedules';
import { SerializedResponse, ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { ServusTestRecorder } from './servus-test-recorder';
import { CommitDeferral } from './commit-deferral';
import { OutboxCall, withOutboxJobIdIfTransactional } from '../outbox/outbox-entry';
import { ServusObservers } from '../execution/servus-observers';
import { SERVUS_TESTING_OPTIONS, TestQueueOptions } from './test-queue-options';
import { ServiceRegistry } from '../service/service-registry';
import { drainWithLimits } from './limited-drain';

/** A call made with `callAsync` under the testing module. */
export interface EnqueuedCall {
  jobId: string;
  queue: string;
  service: string;
  type: ClassRef;
  /** The arguments as the worker would receive them (after the JSON round trip). */
  args: unknown;
  /** The callAsync options as given. */
  options: CallAsyncOptions;
  /** The BullMQ options production would use. */
  jobOptions: JobsOptions;
  /** The job's metadata as stored (carried context, global ids flag). */
  metadata: JobPayload['metadata'];
  state: 'enqueued' | 'completed' | 'failed';
  attemptsMade: number;
  /** Times drain() postponed it for a rate limit (see docs/flow-control.md). */
  postponed: number;
  response?: ServiceResponse;
  failedReason?: string;
}

/**
 * The async adapter of ServusTestingModule, needing no Redis. `callAsync` checks and
 * serialises exactly as in production (same JobRequestBuilder, then the JSON round trip),
 * then records the call ('fake') or runs it at once ('inline'). Performing a call runs
 * the worker's own processor: same pipeline, same outcome rules, retries up to `attempts`
 * (without the backoff delays).
 *
 * @publicApi
 */
@Injectable()
export class ServusTestQueue implements AsyncDispatcher {
  private readonly calls: EnqueuedCall[] = [];
  private sequence = 0;

  constructor(
    private readonly requests: JobRequestBuilder,
    private readonly processor: ServusJobProcessor,
    private readonly recorder: ServusTestRecorder,
    @Inject(SERVUS_TESTING_OPTIONS) private readonly options: TestQueueOptions,
    private readonly observers: ServusObservers,
    private readonly registry: ServiceRegistry,
  ) {}

  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    const call = withOutboxJobIdIfTransactional(options);
    return this.recordOrDefer(definition, this.requests.build(definition, args, call), call);
  }

  /** Checked all first, as production does, so a bad item leaves nothing recorded. */
  async enqueueMany(items: PreparedCall[]): Promise<AsyncReceipt[]> {
    const calls = items.map((item) => ({ ...item, options: withOutboxJobIdIfTransactional(item.options) }));
    const requests = this.requests.buildMany(calls);
    const receipts: AsyncReceipt[] = [];
    for (let i = 0; i < calls.length; i++)
      receipts.push(await this.recordOrDefer(calls[i].definition, requests[i], calls[i].options));
    return receipts;
  }

  private async recordOrDefer(
    definition: ServiceDefinition,
    request: JobRequest,
    options: CallAsyncOptions,
  ): Promise<AsyncReceipt> {
    if (options.transaction === undefined) return this.record(definition, request, options);
    this.outbox ??= new CommitDeferral(this.options.outbox?.store);
    return this.outbox.defer(definition.name, request, options as OutboxCall, (deferred) =>
      this.record(definition, deferred, options),
    );
  }

  private outbox?: CommitDeferral;

  /** Stores a checked job as BullMQ would (JSON round trip, jobId and idempotency dedup), and runs it when inline. */
  private async record(
    definition: ServiceDefinition,
    request: JobRequest,
    options: CallAsyncOptions,
  ): Promise<AsyncReceipt> {
    const payload = JSON.parse(JSON.stringify(request.payload)) as JobPayload;
    const key = request.options.deduplication?.id;
    const duplicate =
      key === undefined
        ? undefined
        : this.calls.find((call) => call.jobOptions.deduplication?.id === key && call.queue === request.queue);
    if (duplicate) {
      if (argumentsDigest(duplicate.service, duplicate.args) !== argumentsDigest(definition.name, payload.args))
        throw new IdempotencyConflictError(definition.name, key!);
      return { jobId: duplicate.jobId, queue: duplicate.queue, service: duplicate.service };
    }
    const jobId = request.options.jobId ?? String(++this.sequence);
    const existing = this.calls.find((call) => call.jobId === jobId && call.queue === request.queue);
    const receipt = { jobId, queue: request.queue, service: definition.name };
    if (existing) return receipt; // a jobId is enqueued once, as in BullMQ
    const call: EnqueuedCall = {
      ...receipt,
      type: definition.type,
      args: payload.args,
      options,
      jobOptions: request.options,
      metadata: payload.metadata,
      state: 'enqueued',
      attemptsMade: 0,
      postponed: 0,
    };
    this.calls.push(call);
    this.recorder.recordEnqueue(definition, payload.args, options);
    if (this.options.async === 'inline') await this.perform(call);
    return receipt;
  }

  private readonly scheduled = new Map<string, ScheduleInfo & { args: unknown }>();

  /** Records the schedule (checked as in production); nothing fires: perform what it would enqueue with enqueue(). */
  async schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    const repeat = repeatOf(definition.name, options);
    const request = this.requests.buildSchedule(definition, args, options);
    const info: ScheduleInfo = { id: request.scheduleId, queue: request.queue, service: definition.name };
    if (repeat.every !== undefined) info.every = repeat.every;
    if (repeat.pattern !== undefined) Object.assign(info, { cron: repeat.pattern, tz: repeat.tz });
    this.scheduled.set(`${info.queue}:${info.id}`, { ...info, args: request.payload.args });
    return info;
  }

  async schedules(): Promise<ScheduleInfo[]> {
    return [...this.scheduled.values()].map(({ args: _args, ...info }) => info);
  }

  async unschedule(id: string, queue?: string): Promise<boolean> {
    if (queue !== undefined) this.requests.names.resolve(queue);
    const keys = [...this.scheduled.values()]
      .filter((info) => info.id === id && (!queue || info.queue === queue))
      .map((info) => `${info.queue}:${info.id}`);
    keys.forEach((key) => this.scheduled.delete(key));
    return keys.length > 0;
  }

  /** The calls made so far, optionally of one service (class or registered name). */
  enqueued(service?: ClassRef | string): EnqueuedCall[] {
    if (service === undefined) return [...this.calls];
    return this.calls.filter((call) =>
      typeof service === 'string' ? call.service === service : call.type === service,
    );
  }

  /** Not performed yet counts as waiting; nothing is ever active or delayed here. */
  async jobCounts(): Promise<QueueJobCounts[]> {
    return this.requests.names.all.map((queue) => {
      const of = (state: EnqueuedCall['state']) =>
        this.calls.filter((call) => call.queue === queue && call.state === state).length;
      return {
        queue,
        counts: {
          waiting: of('enqueued'),
          prioritized: 0,
          active: 0,
          delayed: 0,
          failed: of('failed'),
          completed: of('completed'),
        },
      };
    });
  }

  /** Calls not performed yet. */
  pending(): EnqueuedCall[] {
    return this.calls.filter((call) => call.state === 'enqueued');
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** Runs one call as the worker would, retries included; resolves to the updated call. */
  async perform(call: EnqueuedCall): Promise<EnqueuedCall> {
    if (call.state !== 'enqueued') return call;
    const attempts = call.jobOptions.attempts ?? 1;
    const job = {
      id: call.jobId,
      name: call.service,
      queueName: call.queue,
      attemptsMade: 0,
      opts: call.jobOptions,
      data: { service: call.service, args: call.args, metadata: call.metadata },
    };
    for (;;) {
      try {
        const returned: SerializedResponse = await this.processor.process(job as unknown as Job);
        call.response = ServiceResponse.fromJSON(JSON.parse(JSON.stringify(returned)));
        call.state = 'completed';
        break;
      } catch (error) {
        job.attemptsMade++;
        const unrecoverable = (error as Error)?.name === 'UnrecoverableError';
        // Reported as the worker reports them, so metrics read the same in tests.
        const observation = {
          service: call.service,
          queue: call.queue,
          jobId: call.jobId,
          attemptsMade: job.attemptsMade,
        };
        if (unrecoverable || job.attemptsMade >= attempts) {
          call.failedReason = (error as Error)?.message ?? String(error);
          call.response = responseOfFailedJob(
            call.failedReason,
            job.attemptsMade,
            call.metadata?.context?.correlationId,
          );
          call.state = 'failed';
          this.observers.jobDead(observation);
          break;
        }
        this.observers.jobRetrying(observation);
      }
    }
    // As BullMQ counts: a completed job's last attempt counts too.
    call.attemptsMade = call.state === 'completed' ? job.attemptsMade + 1 : job.attemptsMade;
    return call;
  }

  /**
   * Performs every pending call, and those they enqueue in turn, until none is left: one at a time, in
   * enqueue order, rate limits applied on a virtual clock (a call over its limit is postponed behind the
   * calls that may start; no real time passes). See docs/flow-control.md.
   */
  drain(): Promise<EnqueuedCall[]> {
    return drainWithLimits(
      () => this.pending(),
      (call) => this.perform(call),
      (call) => this.registry.findByName(call.service),
      this.observers,
    );
  }

  /** A call not performed yet is removed; a performed one is 'finished'. */
  async cancel(receipt: JobRef): Promise<CancelResult> {
    const call = this.find(receipt);
    if (!call) return 'not-found';
    if (call.state !== 'enqueued') return 'finished';
    this.calls.splice(this.calls.indexOf(call), 1);
    return 'removed';
  }

  async status(receipt: JobRef): Promise<AsyncJobStatus | undefined> {
    const call = this.find(receipt);
    if (!call) return undefined;
    return {
      state: call.state === 'enqueued' ? 'waiting' : call.state,
      attemptsMade: call.attemptsMade,
      response: call.response,
      failedReason: call.failedReason,
      timestamps: { enqueuedAt: 0 },
    };
  }

  async result(receipt: JobRef): Promise<ServiceResponse> {
    const call = this.find(receipt);
    if (!call)
      throw new AsyncError(
        `No job ${receipt.jobId} on queue ${this.requests.names.resolve(receipt.queue)} in the test queue`,
      );
    if (!call.response)
      throw new AsyncError(
        `Job ${receipt.jobId} (${call.service}) has not been performed: call ServusTestQueue.drain() or perform() first`,
      );
    return call.response;
  }

  private find(receipt: JobRef): EnqueuedCall | undefined {
    const queue = this.requests.names.resolve(receipt.queue);
    return this.calls.find((call) => call.jobId === receipt.jobId && call.queue === queue);
  }
}
