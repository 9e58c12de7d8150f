import { TestingModule } from '@nestjs/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ServusExecutor } from 'nestjs-servus';
import { ServusJobProcessor } from '../../libs/servus/src/async/servus-job.processor';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { Charge, ChargeModule, Gate } from '../support/cancel-fixtures';
import { bootServus } from '../support/servus-app';

/**
 * Fault: cancel() reaches the worker while its job is starting: fetched (active, under its lock), not yet registered
 * as running (a flow-limited service's admission awaits Redis in between). The message finds no running job; the job
 * must still fail as cancelled, without its service running.
 */
describe('faults: cancel() of a job that is starting', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('cancel-starting');
  let app: TestingModule;

  beforeAll(async () => {
    app = await bootServus({ connection: { url: REDIS_URL }, prefix, worker: true }, [ChargeModule]);
  });
  afterAll(async () => {
    await app.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('a cancellation heard before the job registers as running cancels it as it registers', async () => {
    const processor = app.get(ServusJobProcessor);
    // Holds every job between its checks and its registration, as an admission waiting on Redis does.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const starting = processor as unknown as { traced: (run: unknown) => Promise<unknown> };
    const traced = starting.traced.bind(processor);
    let reached = false;
    jest.spyOn(starting, 'traced').mockImplementation((run) => {
      reached = true;
      return held.then(() => traced(run));
    });
    const heard = jest.spyOn(processor, 'cancel');

    const executor = app.get(ServusExecutor);
    const receipt = await executor.callAsync(Charge, { id: 's-1' });
    await eventually(async () => reached, 5000, 'the job to start');
    expect(await executor.cancel(receipt)).toBe('cancelling');
    await eventually(async () => heard.mock.calls.length > 0, 5000, 'the cancellation to be heard');
    release();

    const queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
    try {
      await waitForJob(queue, receipt.jobId, ['completed', 'failed'], 10_000);
    } finally {
      await queue.close();
    }
    expect(app.get(Gate).runs).toEqual([]);
    expect(await executor.status(receipt)).toMatchObject({ state: 'cancelled' });
  });
});
