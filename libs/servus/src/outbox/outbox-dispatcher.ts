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
import { OutboxCall, outboxEntry, withOutboxJobId } from './outbox-entry';
import { OutboxEntry, OutboxStore } from './outbox-store.interface';

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

  constructor(
    private readonly bullmq: BullmqDispatcher,
    private readonly requests: JobRequestBuilder,
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions & OutboxModuleOptions,
  ) {
    this.store = options.outbox?.store;
    this.scope = requests.names.prefix;
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
    const calls = items.map((item) =>
      item.options.transaction === undefined ? item : { ...item, options: withOutboxJobId(item.options) },
    );
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
      });
    }
  }

  private storeFor(service: string, transaction: unknown): OutboxStore {
    if (!this.store)
      throw new JobEnqueueError(
        service,
        'callAsync with transaction needs the outbox: ServusModule options outbox: { store: new TypeOrmOutboxStore(dataSource) }',
      );
    if (!this.store.accepts(transaction))
      throw new JobEnqueueError(
        service,
        'transaction is not a transaction of the outbox store (TypeORM: its EntityManager)',
      );
    return this.store;
  }

  async status(job: JobRef): Promise<AsyncJobStatus | undefined> {
    const row = await this.pending(job);
    if (!row) return this.bullmq.status(job);
    return { state: 'pending', attemptsMade: 0, timestamps: { enqueuedAt: Number(row.options.timestamp) } };
  }

  async cancel(job: JobRef): Promise<CancelResult> {
    // A row the relay holds right now: the delete waits for its move, finds nothing, and BullMQ cancels the job.
    if (this.store && (await this.store.remove(this.scope, this.requests.names.resolve(job.queue), job.jobId)))
      return 'removed';
    return this.bullmq.cancel(job);
  }

  async result(job: JobRef, timeoutMs: number): Promise<ServiceResponse> {
    // Without an outbox nothing can be pending: the wait is BullMQ's alone, with the caller's whole timeout.
    if (!this.store) return this.bullmq.result(job, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    while (await this.pending(job)) {
      if (Date.now() >= deadline)
        throw new AsyncError(`Job ${job.jobId} (${job.service ?? 'outbox'}) did not finish within ${timeoutMs}ms`);
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
    }
    return this.bullmq.result(job, Math.max(1, deadline - Date.now()));
  }

  private pending(job: JobRef) {
    return this.store?.find(this.scope, this.requests.names.resolve(job.queue), job.jobId);
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
