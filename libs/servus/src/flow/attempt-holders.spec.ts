import { Module } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { bootServus } from '../../../../test/support/servus-app';

/** Real Redis (127.0.0.1:6379), under a prefix of its own; one worker slot, so that BullMQ chains its fetches. */
const prefix = `attempt-holders-spec-${process.pid}`;
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const STUBBORN = 'attempts.stubborn';
const holders = `${prefix}:flow:${STUBBORN}:c:K`;

/** The lease members of key K when each attempt of the stubborn job started. */
const startedWith: string[][] = [];

/** Limit 2 per key; a 100 ms deadline; its first body ignores its signal and runs on for 1.5 s. */
@Service({
  name: STUBBORN,
  timeout: '100ms',
  async: { concurrency: { limit: 2, leaseMs: 5000, key: () => 'K' } },
})
class Stubborn extends ServiceBase<Record<string, never>, null> {
  async call() {
    startedWith.push(await redis.zrange(holders, '0', '-1'));
    await sleep(startedWith.length === 1 ? 1500 : 10);
    return this.success(null);
  }
}

/** Keeps the one worker slot busy, so that each job is fetched by the completion of the one before it. */
@Service({ name: 'attempts.filler' })
class Filler extends ServiceBase<Record<string, never>, null> {
  async call() {
    await sleep(20);
    return this.success(null);
  }
}

@Module({ providers: [Stubborn, Filler] })
class AttemptServices {}

describe('flow control: a slot is held per attempt, not per lock token', () => {
  let app: TestingModule;

  beforeAll(async () => {
    await redis.connect();
    app = await bootServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 1, shutdownTimeoutMs: 3000 } },
      [AttemptServices],
    );
  });

  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('a retry fetched on the lock token of its first attempt, whose body still runs, holds a slot of its own', async () => {
    const executor = app.get(ServusExecutor);
    await executor.callAsync(Stubborn, {}, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    await executor.callAsyncMany(Array.from({ length: 20 }, () => ({ service: Filler, args: {} })));
    await eventually(async () => startedWith.length === 2, 10_000, 'the retry to start');
    const [first, second] = startedWith;
    // Attempt 1 started alone; attempt 2 started beside the lease of attempt 1's body, still running past its deadline.
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(2);
    // Both on one fetch chain (one lock token): the attempts differ by their count of starts alone.
    const [a, b] = second.map((member) => member.split(':'));
    expect(a.slice(0, -1)).toEqual(b.slice(0, -1));
    expect([a.at(-1), b.at(-1)].sort()).toEqual(['1', '2']);
  }, 20_000);
});
