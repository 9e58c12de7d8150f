import { TestingModule } from '@nestjs/testing';
import { Job, Queue } from 'bullmq';
import { MeasuredJob } from '../../libs/servus/src/async/measuring-worker';
import { ServusJobProcessor } from '../../libs/servus/src/async/servus-job.processor';
import { Redis } from 'ioredis';
import { ServusExecutor } from 'nestjs-servus';
import { CANCELLED_FAILURE, MARK_CANCELLED } from '../../libs/servus/src/async/cancel-mark';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { Charge, ChargeModule, Gate } from '../support/cancel-fixtures';
import { bootServus } from '../support/servus-app';

/**
 * Fault: cancel() reads a job's state, the job completes, then cancel()'s mark (BullMQ's deferred failure) lands on
 * it, or the mark lands on the running job and the job completes before the cancellation message is heard. A mark
 * left on a completed job would fail its manual retry (job.retry(), a dashboard's Retry) as cancelled, unrun.
 */
describe('faults: a cancel mark never outlives a completed job', () => {
  const redis = new Redis(REDIS_URL);
  let prefix: string;
  let app: TestingModule;
  let queue: Queue;

  beforeEach(async () => {
    prefix = uniquePrefix('cancel-mark-finished');
    app = await bootServus({ connection: { url: REDIS_URL }, prefix, worker: true }, [ChargeModule]);
    queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
  });
  afterEach(async () => {
    await queue.close();
    await app.close();
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  const retryRuns = async (jobId: string) => {
    const gate = app.get(Gate);
    const before = gate.runs.length;
    await (await Job.fromId(queue, jobId))!.retry('completed');
    await waitForJob(queue, jobId, ['completed', 'failed'], 10_000);
    expect(await app.get(ServusExecutor).status({ jobId, queue: 'default' })).toMatchObject({ state: 'completed' });
    expect(gate.runs).toHaveLength(before + 1);
  };

  it('the mark of a cancel() that read the job as active before it completed is refused', async () => {
    const receipt = await app.get(ServusExecutor).callAsync(Charge, { id: 'a' });
    await waitForJob(queue, receipt.jobId, ['completed'], 10_000);
    // What cancel() sends after it read 'active': the job completed in between.
    await redis.eval(MARK_CANCELLED, 1, queue.toKey(receipt.jobId), CANCELLED_FAILURE);
    await retryRuns(receipt.jobId);
  });

  it('a mark that landed on the running job is cleared when the job completes before the message is heard', async () => {
    const gate = app.get(Gate);
    gate.hold = true;
    const receipt = await app.get(ServusExecutor).callAsync(Charge, { id: 'b' });
    await eventually(async () => gate.release !== undefined, 5000, 'the job to start');
    await redis.eval(MARK_CANCELLED, 1, queue.toKey(receipt.jobId), CANCELLED_FAILURE);
    gate.hold = false;
    gate.release!();
    await waitForJob(queue, receipt.jobId, ['completed'], 10_000);
    // cancel()'s message, heard once the job has completed.
    await redis.publish(`${prefix}:servus:cancel`, JSON.stringify({ queue: 'default', jobId: receipt.jobId }));
    await eventually(
      async () => (await redis.hget(queue.toKey(receipt.jobId), 'defa')) === null,
      3000,
      'the mark to go',
    );
    await retryRuns(receipt.jobId);
  });

  it("a cancel heard after the job's run ended, before it is stored as completed, has its mark cleared", async () => {
    // Holds the job between the end of its run (no longer running here) and its completion in Redis.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached = false;
    const moveToCompleted = MeasuredJob.prototype.moveToCompleted;
    const hold = jest.spyOn(MeasuredJob.prototype, 'moveToCompleted').mockImplementation(function (
      this: MeasuredJob,
      ...args: Parameters<MeasuredJob['moveToCompleted']>
    ) {
      reached = true;
      return held.then(() => moveToCompleted.apply(this, args));
    });
    const heard = jest.spyOn(app.get(ServusJobProcessor), 'cancel');
    try {
      const executor = app.get(ServusExecutor);
      const receipt = await executor.callAsync(Charge, { id: 'c' });
      await eventually(async () => reached, 5000, 'the job to reach its completion');
      // The job is still active in Redis: cancel() marks it and publishes; the worker finds it running no more.
      expect(await executor.cancel(receipt)).toBe('cancelling');
      await eventually(async () => heard.mock.calls.length > 0, 5000, 'the cancellation to be heard');
      expect(await redis.hget(queue.toKey(receipt.jobId), 'defa')).not.toBeNull();
      release();
      await waitForJob(queue, receipt.jobId, ['completed'], 10_000);
      await eventually(
        async () => (await redis.hget(queue.toKey(receipt.jobId), 'defa')) === null,
        3000,
        'the mark to go',
      );
      hold.mockRestore();
      await retryRuns(receipt.jobId);
    } finally {
      hold.mockRestore();
      release();
    }
  });

  it("answers 'finished' when the job finished between cancel()'s read of its state and its mark", async () => {
    const executor = app.get(ServusExecutor);
    const receipt = await executor.callAsync(Charge, { id: 'd' });
    await waitForJob(queue, receipt.jobId, ['completed'], 10_000);
    // The state read as it was a moment before the completion.
    const read = jest.spyOn(Queue.prototype, 'getJobState').mockResolvedValueOnce('active');
    try {
      expect(await executor.cancel(receipt)).toBe('finished');
      expect(read).toHaveBeenCalled();
    } finally {
      read.mockRestore();
    }
    expect(await redis.hget(queue.toKey(receipt.jobId), 'defa')).toBeNull();
    await retryRuns(receipt.jobId);
  });
});
