import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusModule } from 'nestjs-servus';
import { LostWakeupWatch } from './lost-wakeups';
import { ServusWorker } from './servus-worker';
import { sleep } from '../../../../test/support/redis-test-kit';

/** Real Redis (127.0.0.1:6379); a fake worker is only the two key names the watch reads. */
describe('LostWakeupWatch', () => {
  const prefix = `lost-wakeups-spec-${process.pid}`;
  const delayed = `${prefix}:q:delayed`;
  const marker = `${prefix}:q:marker`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const worker = { keys: { delayed, marker } } as unknown as Worker;
  let watch: LostWakeupWatch;

  beforeEach(async () => {
    await redis.del(delayed, marker);
    watch = new LostWakeupWatch(redis, [worker], 50);
  });
  afterEach(() => watch.stop());
  afterAll(async () => {
    await redis.del(delayed, marker);
    await redis.quit();
  });

  /** A delayed job as BullMQ scores it: its time in ms times 0x1000, plus a counter. */
  const delay = (at: number, counter = 5) => redis.zadd(delayed, at * 0x1000 + counter, `job-${at}`);

  it('no delayed job: puts nothing back', async () => {
    expect(await watch.look()).toBe(0);
    expect(await redis.exists(marker)).toBe(0);
  });

  it('a delayed job not due yet: puts nothing back', async () => {
    await delay(Date.now() + 60_000);
    expect(await watch.look()).toBe(0);
    expect(await redis.exists(marker)).toBe(0);
  });

  it("a due job still delayed: puts the marker back, scored with the job's time as BullMQ does", async () => {
    const at = Date.now() - 1000;
    await delay(at + 5000); // a later one: the earliest counts
    await delay(at, 7);
    expect(await watch.look()).toBe(1);
    expect(await redis.zrange(marker, '0', '-1', 'WITHSCORES')).toEqual(['1', String((at * 0x1000 + 7) / 0x1000)]);
  });

  it('start() looks every interval until stop()', async () => {
    watch.start();
    await delay(Date.now() - 10);
    await sleep(200);
    expect(await redis.exists(marker)).toBe(1);
    watch.stop();
    await redis.del(marker);
    await sleep(200);
    expect(await redis.exists(marker)).toBe(0);
  });
});

@Service({ name: 'wakeups.limited', queue: 'limited', async: { concurrency: { limit: 1 } } })
class Limited extends ServiceBase<Record<string, never>, null> {
  async call() {
    return this.success(null);
  }
}

@Service({ name: 'wakeups.plain', queue: 'plain' })
class Plain extends ServiceBase<Record<string, never>, null> {
  async call() {
    return this.success(null);
  }
}

@Module({ providers: [Limited, Plain] })
class WakeupServices {}

describe('ServusWorker: the lost wake-up look', () => {
  it('watches only the queues a service with limits may run on', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusModule.forRoot({
          connection: { host: '127.0.0.1', port: 6379 },
          prefix: `lost-wakeups-worker-spec-${process.pid}`,
          queues: ['limited', 'plain'],
          worker: true,
          logging: false,
        }),
        WakeupServices,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const worker: unknown = app.get(ServusWorker);
      const watch = (worker as { wakeups?: { workers: Worker[] } }).wakeups;
      expect(watch?.workers.map((worker) => worker.name)).toEqual(['limited']);
    } finally {
      await app.close();
      const redis = new Redis({ host: '127.0.0.1', port: 6379 });
      const keys = await redis.keys(`lost-wakeups-worker-spec-${process.pid}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });
});
