import { Type } from '@nestjs/common';
import type { ServusExecutor } from '../execution/servus-executor';
import { AsyncCall, AsyncReceipt } from '../execution/call-async-options.interface';
import { withNewJobId } from '../execution/with-new-job-id';

/** Job ids EnqueueBatch gives the calls of a batch. */
const EVENT_JOB_ID_PREFIX = 'event-';

interface Pending {
  call: AsyncCall;
  resolve: (receipt: AsyncReceipt) => void;
  reject: (error: unknown) => void;
}

/**
 * The async invocations of one emit, sent together: one `callAsyncMany` (an addBulk per
 * queue: one round trip, not one per handler). If the batch is refused (an invalid item
 * refuses them all, or Redis is down), each call is sent again on its own, so each
 * invocation gets its own receipt or its own error, as when they were sent one by one.
 * A batch spanning queues is not atomic: one queue's jobs may be in Redis when another's
 * part fails. So each call of a batch without a `jobId` or `idempotencyKey` of its own gets
 * a job id (`event-<uuid>`) before the batch is sent, and its resend adds nothing twice.
 */
export class EnqueueBatch {
  private readonly pending: Pending[] = [];

  constructor(private readonly executor: ServusExecutor) {}

  add(service: Type, args: unknown, options: AsyncCall['options']): Promise<AsyncReceipt> {
    return new Promise((resolve, reject) => this.pending.push({ call: { service, args, options }, resolve, reject }));
  }

  async flush(): Promise<void> {
    const items = this.pending.splice(0);
    if (items.length > 1) {
      for (const item of items) item.call.options = withJobId(item.call.options);
      try {
        const receipts = await this.executor.callAsyncMany(items.map((item) => item.call));
        items.forEach((item, i) => item.resolve(receipts[i]));
        return;
      } catch {
        // Sent again one by one below: each invocation learns its own outcome.
      }
    }
    await Promise.all(
      items.map(({ call, resolve, reject }) =>
        this.executor.callAsync(call.service as Type, call.args as never, call.options).then(resolve, reject),
      ),
    );
  }
}

/** The call with an event job id, unless it names its job by other means (a resend of the same id adds nothing). */
function withJobId(options: AsyncCall['options']): AsyncCall['options'] {
  if (options?.jobId !== undefined || options?.idempotencyKey !== undefined || options?.jobOptions?.jobId !== undefined)
    return options;
  return withNewJobId(options, EVENT_JOB_ID_PREFIX);
}
