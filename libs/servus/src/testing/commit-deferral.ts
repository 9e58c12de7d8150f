import { AsyncReceipt } from '../execution/call-async-options.interface';
import { JobRequest } from '../async/job-request';
import { NOT_AN_OPEN_TRANSACTION, OutboxCall, outboxEntry } from '../outbox/outbox-entry';
import { OutboxStore } from '../outbox/outbox-store.interface';
import { TypeOrmOutboxStore } from '../outbox/typeorm-outbox.store';
import { JobEnqueueError } from '../response/async-errors';

/**
 * The testing module's outbox: a call with `transaction` is checked now, as the outbox checks it,
 * and recorded only once that transaction commits (never when it rolls back). Its receipt is the
 * one production would give. Without the module's outbox store, TypeORM's is used: it needs no
 * DataSource to see commits.
 */
export class CommitDeferral {
  private readonly store: OutboxStore;

  constructor(store?: OutboxStore) {
    this.store = store ?? new TypeOrmOutboxStore();
  }

  /** `options`: the call, its job id fixed by `withOutboxJobId` before `request` was built. */
  defer(
    service: string,
    request: JobRequest,
    options: OutboxCall,
    record: (request: JobRequest) => Promise<unknown>,
  ): AsyncReceipt {
    const entry = outboxEntry(service, request, options);
    if (!this.store.accepts(options.transaction))
      throw new JobEnqueueError(service, NOT_AN_OPEN_TRANSACTION, { kind: 'misconfigured' });
    const committed = { ...request, options: { ...request.options, jobId: entry.jobId } };
    try {
      this.store.onCommit(options.transaction, () => void record(committed));
    } catch (error) {
      throw new JobEnqueueError(service, (error as Error).message, { cause: error, kind: 'misconfigured' });
    }
    return { jobId: entry.jobId, queue: entry.queue, service };
  }
}
