import { INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { AsyncError, JobEnqueueError, Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { ServusTestingModule } from 'nestjs-servus/testing';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';

@Service({ name: 'parity.low', queue: 'low' })
class LowPriority extends ServiceBase<{ n: number }, { n: number }> {
  async call(args: { n: number }) {
    return this.success(args);
  }
}

@Module({ providers: [LowPriority] })
class ParityServices {}

/**
 * The BullMQ adapter and the testing module's queue answer the same inputs the same way:
 * what a test accepts, production accepts; what production refuses, a test refuses.
 */
describe.each([
  ['BullMQ (real Redis, no worker)', 'bullmq'],
  ['ServusTestingModule (fake)', 'fake'],
] as const)('%s', (_title, adapter) => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('parity');
  let app: INestApplicationContext;
  let executor: ServusExecutor;

  beforeAll(async () => {
    const servus =
      adapter === 'bullmq'
        ? ServusModule.forRoot({ connection: { url: REDIS_URL }, prefix, queues: ['default', 'low'], logging: false })
        : ServusTestingModule.forRoot({ queues: ['default', 'low'], logging: false });
    app = await (await Test.createTestingModule({ imports: [servus, ParityServices] }).compile()).init();
    executor = app.get(ServusExecutor);
  });
  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('status/result/cancel/unschedule on an undeclared queue: AsyncError naming it and the declared ones', async () => {
    const error = new AsyncError('Queue "nowhere" is not one of the module\'s queues (default, low)');
    await expect(executor.status({ jobId: '1', queue: 'nowhere' })).rejects.toThrow(error);
    await expect(executor.result({ jobId: '1', queue: 'nowhere' }, { timeoutMs: 100 })).rejects.toThrow(error);
    await expect(executor.cancel({ jobId: '1', queue: 'nowhere' })).rejects.toThrow(error);
    await expect(executor.unschedule('tick', 'nowhere')).rejects.toThrow(error);
  });

  it("a job reference naming its service but no queue is looked up on that service's queue", async () => {
    const receipt = await executor.callAsync(LowPriority, { n: 1 });
    expect(receipt.queue).toBe('low');
    expect(await executor.status({ jobId: receipt.jobId, service: 'parity.low' })).toMatchObject({
      state: 'waiting',
      attemptsMade: 0,
    });
    // A bare id means the module's default queue, where this job is not.
    expect(await executor.status(receipt.jobId)).toBeUndefined();
  });

  it("a schedule's attempts and backoff are checked as a call's are", async () => {
    const scheduling = executor.schedule(LowPriority, { n: 1 }, { every: 1000, attempts: 0 });
    await expect(scheduling).rejects.toThrow(JobEnqueueError);
    await expect(scheduling).rejects.toThrow(
      'Could not enqueue parity.low: attempts must be an integer of at least 1, got 0',
    );
    expect(await executor.schedules()).toEqual([]);
  });
});
