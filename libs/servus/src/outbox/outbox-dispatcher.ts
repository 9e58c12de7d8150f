import { Inject, Injectable } from '@nestjs/common';
import { AsyncDispatcher, CancelResult, PreparedCall, QueueJobCounts } from '../execution/async-dispatcher.interface';
import { AsyncJobStatus } from '../execution/async-job-status.interface';
import { AsyncReceipt, CallAsyncOptions, JobRef } from '../execution/call-async-options.interface';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { BullmqDispatcher } from '../async/bullmq-dispatcher';
import { JobRequestBuilder } from '../async/job-request';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { OutboxModuleOptions } from './outbox-options.interface';
import { AsyncError, JobEnqueueError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import {
  canBeOutboxJobId,
  NOT_AN_OPEN_TRANSACTION,
  OutboxCall,
  outboxEntry,
  withOutboxJobId,
  withOutboxJobIdIfTransactional,
} from './outbox-entry';
import { DEFAULT_ENQUEUE_TIMEOUT_MS } from '../async/redis-connection';
import { OutboxEntry, OutboxStore } from './outbox-store.interface';
import { answerOf } from './bounded-lookup';
import { enqueuedAt } from './outbox-row-job';
import { bounded, Lookup } from '../util/bounded';

/** How often result() looks whether a job still in the outbox has reached Redis. */
const PENDING_POLL_MS = 50;

/**
 * The module's dispatcher: a call with `transaction` goes to the outbox, in that transaction;
 * any other goes straight to BullMQ. A job still in the outbox answers status 'pending', can be
 * cancelled (its row is deleted), and result() waits for it through the relay.
 */
@Injectable()
export class OutboxDispatcher implements AsyncDispatcher {
  private readonly store?: OutboxStore;
  private readonly scope: string;
  /** How long status() and cancel(), which take no deadline, wait for the outbox: as long as for a Redis command. */
  private readonly lookupMs: number;

  constructor(
    private readonly bullmq: BullmqDispatcher,
    private readonly requests: JobRequestBuilder,
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions & OutboxModuleOptions,
  ) {
    this.store = options.outbox?.store;
    this.scope = requests.names.prefix;
    this.lookupMs = options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS;
  }

  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    // The direct path stays as it was: no extra await.
    if (options.transaction === undefined) return this.bullmq.enqueue(definition, args, options);
    return this.enqueueInTransaction(definition, args, options);
  }

  private async enqueueInTransaction(
    definition: ServiceDefinition,
    args: unknown,
    options: CallAsyncOptions,
  ): Promise<AsyncReceipt> {
    const call = withOutboxJobId(options);
    const entry = outboxEntry(definition.name, this.requests.build(definition, args, call), call);
    await this.write(definition.name, options.transaction, [entry]);
    return { jobId: entry.jobId, queue: entry.queue, service: definition.name };
  }

  /** Items with a transaction go to the outbox (one insert per transaction), the others to BullMQ; receipts in item order. */
  async enqueueMany(items: PreparedCall[]): Promise<AsyncReceipt[]> {
    const direct = items.filter((item) => item.options.transaction === undefined);
    if (direct.length === items.length) return this.bullmq.enqueueMany(items);
    const calls = items.map((item) => ({ ...item, options: withOutboxJobIdIfTransactional(item.options) }));
    const requests = this.requests.buildMany(calls);
    const receipts = new Array<AsyncReceipt>(items.length);
    const byTransaction = new Map<unknown, OutboxEntry[]>();
    calls.forEach((item, i) => {
      if (item.options.transaction === undefined) return;
      const entry = outboxEntry(item.definition.name, requests[i], item.options as OutboxCall);
      receipts[i] = { jobId: entry.jobId, queue: entry.queue, service: item.definition.name };
      byTransaction.set(item.options.transaction, [...(byTransaction.get(item.options.transaction) ?? []), entry]);
    });
    const services = [...new Set(items.map((item) => item.definition.name))].join(', ');
    for (const [transaction, entries] of byTransaction) await this.write(services, transaction, entries);
    if (direct.length) {
      const sent = await this.bullmq.enqueueMany(direct);
      let k = 0;
      items.forEach((item, i) => item.options.transaction === undefined && (receipts[i] = sent[k++]));
    }
    return receipts;
  }

  private async write(service: string, transaction: unknown, entries: OutboxEntry[]): Promise<void> {
    const store = this.storeFor(service, transaction);
    try {
      await store.insert(transaction, this.scope, entries);
    } catch (error) {
      throw new JobEnqueueError(service, `the outbox did not take the job: ${(error as Error).message}`, {
        cause: error,
        kind: 'unavailable',
      });
    }
  }

  private storeFor(service: string, transaction: unknown): OutboxStore {
    if (!this.store)
      throw new JobEnqueueError(
        service,
        'callAsync with transaction needs the outbox: ServusModule options outbox: { store: new TypeOrmOutboxStore(dataSource) }',
        { kind: 'misconfigured' },
      );
    if (!this.store.accepts(transaction))
      throw new JobEnqueueError(service, NOT_AN_OPEN_TRANSACTION, { kind: 'misconfigured' });
    return this.store;
  }

  async status(job: JobRef): Promise<AsyncJobStatus | undefined> {
    const row = this.mayBePending(job)
      ? answerOf(
          await this.lookup(job, (store, queue) => store.find(this.scope, queue, job.jobId)),
          'read the status of',
          job,
          this.lookupMs,
        )
      : undefined;
    if (!row) return this.bullmq.status(job);
    return { state: 'pending', attemptsMade: 0, timestamps: { enqueuedAt: enqueuedAt(row) } };
  }

  async cancel(job: JobRef): Promise<CancelResult> {
    // A row the relay holds right now: the delete waits for its move, finds nothing, and BullMQ cancels the job.
    // A delete that did not answer in time may still happen: cancelling again then answers from BullMQ.
    if (
      this.mayBePending(job) &&
      answerOf(
        await this.lookup(job, (store, queue) => store.remove(this.scope, queue, job.jobId)),
        'cancel',
        job,
        this.lookupMs,
      )
    )
      return 'removed';
    return this.bullmq.cancel(job);
  }

  /**
   * While the job's row is in the outbox, looks again every PENDING_POLL_MS, each lookup raced
   * against the caller's deadline; then BullMQ's wait with the time left. A database that stalls
   * or fails ends in AsyncError at the deadline (its error as the cause), as Redis trouble does.
   */
  async result(job: JobRef, timeoutMs: number): Promise<ServiceResponse> {
    // Nothing can be pending without an outbox, or under an id no row has: BullMQ's wait, with the caller's whole timeout.
    if (!this.mayBePending(job)) return this.bullmq.result(job, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const looked = await this.lookup(
        job,
        (store, queue) => store.find(this.scope, queue, job.jobId),
        deadline - Date.now(),
      );
      if (looked.state === 'answered' && !looked.value) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        const why = { silent: ': the outbox did not answer', failed: ': the outbox could not be read', answered: '' }[
          looked.state
        ];
        throw new AsyncError(
          `Job ${job.jobId} (${job.service ?? 'outbox'}) did not finish within ${timeoutMs}ms${why}`,
          {
            cause: looked.state === 'failed' ? looked.cause : undefined,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(PENDING_POLL_MS, left)));
    }
    return this.bullmq.result(job, Math.max(1, deadline - Date.now()));
  }

  /** Whether the job may still be a row of the outbox: there is one, and the id is one a row can have. */
  private mayBePending(job: JobRef): boolean {
    return this.store !== undefined && canBeOutboxJobId(job.jobId);
  }

  /** One outbox query for a job, raced against `ms` (the queue is resolved first: an undeclared one throws as before). */
  private lookup<T>(
    job: JobRef,
    query: (store: OutboxStore, queue: string) => Promise<T>,
    ms = this.lookupMs,
  ): Promise<Lookup<T>> {
    const queue = this.requests.names.resolve(job.queue);
    return bounded(() => query(this.store!, queue), ms);
  }

  schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    return this.bullmq.schedule(definition, args, options);
  }

  schedules(): Promise<ScheduleInfo[]> {
    return this.bullmq.schedules();
  }

  unschedule(id: string, queue?: string): Promise<boolean> {
    return this.bullmq.unschedule(id, queue);
  }

  jobCounts(): Promise<QueueJobCounts[]> {
    return this.bullmq.jobCounts();
  }
}
