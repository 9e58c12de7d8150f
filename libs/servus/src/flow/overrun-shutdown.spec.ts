import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { sleep } from '../../../../test/support/redis-test-kit';

const BODY_MS = 4000;
let bodyStartedAt = 0;
let bodyEndedAt = 0;

/** One at a time, a deadline of 200 ms, a lease of 1 s, and a body that ignores its signal for 4 s. */
@Service({ name: 'shutdown.stubborn', timeout: 200, async: { concurrency: { limit: 1, leaseMs: 1000 } } })
class Stubborn extends ServiceBase<Record<string, never>, null> {
  async call() {
    bodyStartedAt = Date.now();
    await sleep(BODY_MS);
    bodyEndedAt = Date.now();
    return this.success(null);
  }
}

@Module({ providers: [Stubborn] })
class ShutdownServices {}

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
describe('graceful shutdown with a body past its deadline', () => {
  const prefix = `overrun-shutdown-spec-${process.pid}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('app.close() waits for the body (up to shutdownTimeoutMs) and keeps its flow slot renewed meanwhile', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusModule.forRoot({
          connection: { host: '127.0.0.1', port: 6379 },
          prefix,
          worker: { concurrency: 1, shutdownTimeoutMs: 10_000 },
          logging: false,
        }),
        ShutdownServices,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const holders = `${prefix}:flow:shutdown.stubborn:c:`;
    await app.get(ServusExecutor).callAsync(Stubborn, {}, { attempts: 1 });
    // Timed from the body's own start (a loaded machine may pick the job up late).
    for (const until = Date.now() + 10_000; !bodyStartedAt && Date.now() < until;) await sleep(20);
    expect(bodyStartedAt).toBeGreaterThan(0);
    // Past the deadline (the attempt has failed) and past the 100 ms grace: the body goes on.
    await sleep(Math.max(0, bodyStartedAt + 600 - Date.now()));
    expect(await redis.zcard(holders)).toBe(1);
    const closing = app.close();
    // Well past the lease (1 s) after the close began, the body still runs: its slot must still be held.
    await sleep(1500);
    expect(bodyEndedAt).toBe(0);
    expect(await redis.zcard(holders)).toBe(1);
    await closing;
    const closedAt = Date.now();
    expect(bodyEndedAt).toBeGreaterThanOrEqual(bodyStartedAt + BODY_MS);
    expect(closedAt).toBeGreaterThanOrEqual(bodyEndedAt);
    // Its slot was released as the body ended (not left to run out).
    expect(await redis.zcard(holders)).toBe(0);
  }, 30_000);
});
