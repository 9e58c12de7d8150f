import { INestApplication, Logger, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';
import { JobWaker } from './job-waker';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flow-parked-check-spec-${process.pid}`;
const SERVICE = 'flowparked.one';
const parkedOf = (key: string) => `${prefix}:flow:${SERVICE}:q:${key}`;
const ran: string[] = [];
/** The first job runs until the test lets it end. */
let endFirst: () => void = () => undefined;
const firstMayEnd = new Promise<void>((resolve) => (endFirst = resolve));

@Service({
  name: SERVICE,
  async: { concurrency: { limit: 1, leaseMs: 30_000, key: (args: { key: string }) => args.key } },
})
class One extends ServiceBase<{ key: string; tag: string }, null> {
  async call({ tag }: { key: string; tag: string }) {
    if (tag === 'first') await firstMayEnd;
    ran.push(tag);
    return this.success(null);
  }
}

@Module({ providers: [One] })
class OneServices {}

describe('flow control: a postponed job whose line cannot be read after its move', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  let app: INestApplication;
  let executor: ServusExecutor;
  let queue: Queue;

  beforeAll(async () => {
    await redis.connect();
    const moduleRef = await compileServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 4 } },
      [OneServices],
    );
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    executor = app.get(ServusExecutor);
    queue = new Queue('default', { connection: redis, prefix });
  });

  afterAll(async () => {
    await queue?.close();
    await app?.close();
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('is postponed all the same: no failed attempt, no error, and it runs once the slot frees', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    const parked = jest.spyOn(JobWaker.prototype, 'isParked').mockRejectedValueOnce(new Error('Connection is closed.'));
    try {
      await executor.callAsync(One, { key: 'K', tag: 'first' });
      await eventually(async () => (await redis.exists(`${prefix}:flow:${SERVICE}:c:K`)) === 1, 2_000, 'first runs');
      const second = await executor.callAsync(One, { key: 'K', tag: 'second' });
      await eventually(async () => (await redis.zcard(parkedOf('K'))) === 1, 5_000, 'second parks');
      await eventually(async () => parked.mock.calls.length >= 1, 5_000, 'its line was looked at');
      endFirst();
      await eventually(async () => ran.includes('second'), 10_000, 'the second job ran');
      // One attempt: the one that ran (waiting used none).
      const job = await queue.getJob(second.jobId);
      expect(job?.attemptsMade).toBe(1);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      parked.mockRestore();
      errors.mockRestore();
    }
  }, 20_000);
});
