import { Injectable, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  EventHandler,
  IdempotencyConflictError,
  Invoke,
  Service,
  ServiceBase,
  ServusEvents,
  ServusExecutor,
} from 'nestjs-servus';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../../../../test/support/redis-test-kit';
import { bootServus } from '../../../../test/support/servus-app';

@Service({ queue: 'default' })
class Archive extends ServiceBase<{ id: number }, null> {
  async call() {
    return this.success(null);
  }
}

@Service({ queue: 'critical' })
class Notify extends ServiceBase<{ id: number }, null> {
  async call() {
    return this.success(null);
  }
}

@Injectable()
@EventHandler('order.placed')
class OnOrderPlaced {
  @Invoke(Archive, { async: true })
  archive(order: { id: number }) {
    return { id: order.id };
  }

  @Invoke(Notify, { async: true, idempotencyKey: 'notify-order' })
  notify(order: { id: number }) {
    return { id: order.id };
  }
}

@Module({ providers: [Archive, Notify, OnOrderPlaced] })
class OrdersModule {}

/**
 * The async invocations of one emit go out as one callAsyncMany (an addBulk per queue). A batch
 * spanning queues is not atomic: when one queue's part fails, the other's jobs may be in Redis
 * already, and sending each call again on its own must not enqueue them a second time.
 */
describe('EnqueueBatch on real Redis: a batch refused after part of it landed', () => {
  const prefix = uniquePrefix('enqueue-batch-resend');
  const redis = new Redis(REDIS_URL);
  // The queues and the idempotency keys (24 h TTL) under the prefix.
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });
  it('an invocation whose queue took its job is not enqueued again by the one-by-one resend', async () => {
    const app = await bootServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        queues: ['default', 'critical'],
        events: { strict: false, handlerErrors: 'isolate' },
      },
      [OrdersModule],
    );
    const queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
    try {
      // The key is taken with other arguments: Notify's part of the batch is refused.
      await app.get(ServusExecutor).callAsync(Notify, { id: 1 }, { idempotencyKey: 'notify-order' });
      const report = await app.get(ServusEvents).emit('order.placed', { id: 2 });
      expect(report.outcomes.map((outcome) => outcome.status)).toEqual(['enqueued', 'failed']);
      expect(report.outcomes[1].error).toBeInstanceOf(IdempotencyConflictError);
      expect(await queue.getJobCounts('wait', 'delayed', 'active', 'completed', 'failed')).toMatchObject({ wait: 1 });
      expect((await queue.getJobs(['wait'])).map((job) => job.id)).toEqual([report.outcomes[0].receipt!.jobId]);
    } finally {
      await queue.close();
      await app.close();
    }
  });
});
