import { JobEnqueueError } from 'nestjs-servus';
import type { ServusExecutor } from '../execution/servus-executor';
import { AsyncCall, AsyncReceipt } from '../execution/call-async-options.interface';
import { EnqueueBatch } from './enqueue-batch';

class Target {}

/** An executor that records how calls were sent; `refuse` names the argument values it refuses. */
function recordingExecutor(refuse: unknown[] = []) {
  const sent: string[] = [];
  const receipt = (args: unknown): AsyncReceipt => ({ jobId: String(args), queue: 'default', service: 'target' });
  const executor = {
    callAsyncMany: (items: AsyncCall[]) => {
      sent.push(`many(${items.map((item) => String(item.args)).join(',')})`);
      const bad = items.findIndex((item) => refuse.includes(item.args));
      return bad >= 0
        ? Promise.reject(new JobEnqueueError('target', `items[${bad}]: refused`))
        : Promise.resolve(items.map((item) => receipt(item.args)));
    },
    callAsync: (_service: unknown, args: unknown) => {
      sent.push(`one(${String(args)})`);
      return refuse.includes(args)
        ? Promise.reject(new JobEnqueueError('target', `refused ${String(args)}`))
        : Promise.resolve(receipt(args));
    },
  };
  return { sent, executor: executor as unknown as ServusExecutor };
}

describe('EnqueueBatch (the async invocations of one emit)', () => {
  it('sends every call in one callAsyncMany and gives each its own receipt, in order', async () => {
    const { sent, executor } = recordingExecutor();
    const batch = new EnqueueBatch(executor);
    const receipts = [1, 2, 3].map((n) => batch.add(Target, n, {}));
    await batch.flush();
    expect(sent).toEqual(['many(1,2,3)']);
    expect((await Promise.all(receipts)).map((receipt) => receipt.jobId)).toEqual(['1', '2', '3']);
  });

  it('a refused batch is sent again one by one: the bad call fails alone, the others are enqueued', async () => {
    const { sent, executor } = recordingExecutor([2]);
    const batch = new EnqueueBatch(executor);
    const [one, two, three] = [1, 2, 3].map((n) => batch.add(Target, n, {}));
    await batch.flush();
    expect(sent).toEqual(['many(1,2,3)', 'one(1)', 'one(2)', 'one(3)']);
    expect((await one).jobId).toBe('1');
    await expect(two).rejects.toThrow('refused 2');
    expect((await three).jobId).toBe('3');
  });

  it('a single call goes through callAsync; an empty batch sends nothing', async () => {
    const { sent, executor } = recordingExecutor();
    const batch = new EnqueueBatch(executor);
    await batch.flush();
    const only = batch.add(Target, 7, {});
    await batch.flush();
    expect(sent).toEqual(['one(7)']);
    expect((await only).jobId).toBe('7');
  });
});
