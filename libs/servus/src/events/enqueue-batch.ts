import { Type } from '@nestjs/common';
import type { ServusExecutor } from '../execution/servus-executor';
import { AsyncCall, AsyncReceipt } from '../execution/call-async-options.interface';

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
