import { TestingModule } from '@nestjs/testing';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ServusExecutor } from 'nestjs-servus';
import { RECENT_CANCEL_MS } from '../../libs/servus/src/async/recent-cancels';
import { ServusJobProcessor } from '../../libs/servus/src/async/servus-job.processor';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { Charge, ChargeModule, Gate } from '../support/cancel-fixtures';
import { bootServus } from '../support/servus-app';

/**
 * Fault: cancel() of a job running on one worker is heard by every worker; one not running it keeps the cancellation
 * a few seconds (the job may be starting there). The job fails as cancelled on its worker, and is retried at once
 * (a dashboard's Retry): the run the retry starts on the other worker began after the cancellation and must run.
 */
describe('faults: a job retried after its cancellation runs', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('cancel-retried');
  const options = { connection: { url: REDIS_URL }, prefix, worker: true } as const;
  let first: TestingModule;
  let second: TestingModule | undefined;
  let queue: Queue;

  beforeAll(async () => {
    first = await bootServus(options, [ChargeModule]);
    queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
  });
  afterAll(async () => {
    await queue.close();
    await first.close().catch(() => undefined);
    await second?.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('a retry within seconds of the cancellation runs on a worker that heard it', async () => {
    const gate = first.get(Gate);
    gate.hold = true;
    const executor = first.get(ServusExecutor);
    const receipt = await executor.callAsync(Charge, { id: 'r-1' });
    await eventually(async () => gate.release !== undefined, 5000, 'the job to start on the first worker');
    second = await bootServus(options, [ChargeModule]);
    const heard = [first, second].map((app) => jest.spyOn(app.get(ServusJobProcessor), 'cancel'));

    expect(await executor.cancel(receipt)).toBe('cancelling');
    await eventually(async () => heard.every((spy) => spy.mock.calls.length > 0), 5000, 'both workers to hear it');
    const heardAt = Date.now();
    gate.release!();
    await waitForJob(queue, receipt.jobId, ['failed'], 10_000);
    expect(await executor.status(receipt)).toMatchObject({ state: 'cancelled' });
    // Only the second worker is left to run the retry, well within the seconds it keeps the cancellation.
    await first.close();
    // Within the time a cancellation is kept: past it, the code before the fix would pass this spec too.
    expect(Date.now() - heardAt).toBeLessThan(RECENT_CANCEL_MS);
    await (await Job.fromId(queue, receipt.jobId))!.retry('failed');
    await waitForJob(queue, receipt.jobId, ['completed', 'failed'], 10_000);

    expect(second.get(Gate).runs).toHaveLength(1);
    expect(await second.get(ServusExecutor).status(receipt)).toMatchObject({ state: 'completed' });
  });
});
