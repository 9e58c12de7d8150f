import { TestingModule } from '@nestjs/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ServusExecutor } from 'nestjs-servus';
import { deletePrefix, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { Charge, ChargeModule, Gate } from '../support/cancel-fixtures';
import { bootServus } from '../support/servus-app';

/**
 * Fault: the worker running a job dies (SIGKILL, OOM), and the caller cancels the job while it
 * is still 'active' under the dead worker's lock. No process hears the cancellation on pub/sub,
 * so it must be kept with the job: when stalled-job recovery hands it to another worker, it
 * fails as cancelled instead of running.
 */
describe('faults: cancel() of a job whose worker died', () => {
  const redis = new Redis(REDIS_URL);
  let prefix: string;
  const apps: TestingModule[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('cancel-stalled');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  const boot = async (worker: boolean) => {
    const app = await bootServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        worker: worker && { lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 5 },
      },
      [ChargeModule],
    );
    apps.push(app);
    return app;
  };

  it("answers 'cancelling', and the job fails as cancelled when another worker takes it back: it never runs", async () => {
    const api = await boot(false);
    const executor = api.get(ServusExecutor);
    const receipt = await executor.callAsync(Charge, { id: 'c-1' });

    // A worker takes the job and dies before finishing it: the job stays active under its lock until that expires.
    const dead = new Worker('default', null, {
      connection: { url: REDIS_URL },
      prefix,
      autorun: false,
      lockDuration: 1000,
    });
    const taken = await dead.getNextJob('dead-worker-token');
    expect(taken?.id).toBe(receipt.jobId);
    await dead.close(true);
    expect(await executor.cancel(receipt)).toBe('cancelling');

    const worker = await boot(true);
    const queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
    try {
      await waitForJob(queue, receipt.jobId, ['completed', 'failed'], 15_000);
    } finally {
      await queue.close();
    }
    expect(worker.get(Gate).runs).toEqual([]);
    expect(await executor.status(receipt)).toMatchObject({ state: 'cancelled' });
  });
});
