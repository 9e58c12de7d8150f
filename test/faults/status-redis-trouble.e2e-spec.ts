import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { AsyncError, ServusExecutor } from 'nestjs-servus';
import { sleep } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { bootServus } from '../support/servus-app';
import { Echo, EchoModule } from '../support/echo-fixture';

/** How a call ended: its value, or its error's class, message and cause. */
async function outcomeOf(call: Promise<unknown>) {
  const started = performance.now();
  try {
    return { value: await call, ms: performance.now() - started };
  } catch (error) {
    return { error: error as Error, ms: performance.now() - started };
  }
}

/**
 * Fault: Redis stops answering, or goes away, or holds a job whose stored result is not JSON, while
 * a caller asks status() or cancel() (or lists or removes schedules). They reject with AsyncError (Redis's error as its cause), as
 * result() does and as they do when the outbox's database stalls: one error type to catch.
 */
describe('faults: status() and cancel() under Redis trouble', () => {
  let server: RedisServer;
  let admin: Redis;
  let app: TestingModule;
  let executor: ServusExecutor;
  const prefix = 'status-trouble';

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url(), { maxRetriesPerRequest: null });
    app = await bootServus({ connection: { url: server.url() }, prefix, enqueueTimeoutMs: 500 }, [EchoModule]);
    executor = app.get(ServusExecutor);
  });

  afterAll(async () => {
    await app?.close();
    if (admin?.status !== 'end') admin?.disconnect();
    await server?.stop();
  });

  it('a completed job whose stored return value is not JSON: status() rejects with AsyncError', async () => {
    const receipt = await executor.callAsync(Echo, { n: 1 });
    const key = `${prefix}:default:${receipt.jobId}`;
    await admin.lrem(`${prefix}:default:wait`, 0, receipt.jobId);
    await admin.zadd(`${prefix}:default:completed`, Date.now(), receipt.jobId);
    await admin.hset(key, 'returnvalue', 'not json', 'finishedOn', String(Date.now()));
    const { error } = await outcomeOf(executor.status(receipt));
    expect(error).toBeInstanceOf(AsyncError);
    expect(error?.message).toMatch(new RegExp(`^Could not read the status of job ${receipt.jobId}: `));
  });

  it('Redis paused: status(), cancel(), schedules() and unschedule() reject with AsyncError within enqueueTimeoutMs, not a raw Redis error', async () => {
    const receipt = await executor.callAsync(Echo, { n: 2 });
    await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
    const [status, cancel, schedules, unschedule] = await Promise.all([
      outcomeOf(executor.status(receipt)),
      outcomeOf(executor.cancel(receipt)),
      outcomeOf(executor.schedules()),
      outcomeOf(executor.unschedule('nightly')),
    ]);
    await sleep(2700);
    for (const [what, outcome] of [
      [`read the status of job ${receipt.jobId}`, status],
      [`cancel job ${receipt.jobId}`, cancel],
      ['list the schedules', schedules],
      ['remove the schedule "nightly"', unschedule],
    ] as const) {
      expect(outcome.error).toBeInstanceOf(AsyncError);
      expect(outcome.error?.message.startsWith(`Could not ${what}: `)).toBe(true);
      expect(outcome.error?.cause).toBeInstanceOf(Error);
      expect(outcome.ms).toBeLessThan(2000);
    }
  }, 15_000);

  // Last: Redis stays down (afterAll stops it).
  it('Redis gone: status(), cancel(), schedules() and unschedule() reject with AsyncError', async () => {
    const receipt = await executor.callAsync(Echo, { n: 3 });
    await admin.quit();
    await server.kill();
    for (const call of [
      () => executor.status(receipt),
      () => executor.cancel(receipt),
      () => executor.schedules(),
      () => executor.unschedule('nightly', 'default'),
    ]) {
      const { error, ms } = await outcomeOf(call());
      expect(error).toBeInstanceOf(AsyncError);
      expect(ms).toBeLessThan(2000);
    }
  });
});
