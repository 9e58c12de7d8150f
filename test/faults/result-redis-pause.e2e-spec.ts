import { Redis } from 'ioredis';
import { AsyncError, ServusExecutor } from 'nestjs-servus';
import { Echo, Slow } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since, sleep } from '../support/fault-summary';
import { RedisServer } from '../support/redis-server';

/**
 * Fault: Redis stops answering (CLIENT PAUSE on a redis-server of the test's own) while
 * `executor.result()` waits. The wait keeps its contract: it resolves to the job's response
 * once Redis answers again within `timeoutMs`, rejects with AsyncError at `timeoutMs`
 * otherwise, and never leaks a rejection past the caller's try/catch.
 */
describe('faults: result() while Redis is paused', () => {
  let server: RedisServer;
  let harness: FaultHarness;
  let executor: ServusExecutor;
  let admin: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await RedisServer.start();
    harness = new FaultHarness('result-pause', server.url());
    admin = new Redis(server.url(), { maxRetriesPerRequest: null });
    ({ executor } = await harness.api());
    await harness.startWorker({ SERVUS_CONCURRENCY: '10' });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await admin?.quit().catch(() => undefined);
    await harness?.close();
    await server?.stop();
  });

  let pausedUntil = 0;
  /** Pauses every client of the server (the worker's too) for `ms`. */
  const pause = (ms: number) => {
    pausedUntil = performance.now() + ms;
    return admin.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  };
  // Each case starts with Redis answering, whatever the previous one did.
  afterEach(() => sleep(Math.max(0, pausedUntil - performance.now()) + 200));

  it('waits through a 3 s pause right after callAsync and resolves to the response within timeoutMs', async () => {
    const receipt = await executor.callAsync(Echo, { paused: 1 });
    await pause(3000);
    const started = performance.now();
    const outcome = await executor.result(receipt, { timeoutMs: 10_000 }).then(
      (response) => ({ response, error: undefined }),
      (error: Error) => ({ response: undefined, error }),
    );
    const ms = since(started);
    faultSummary('result() across a 3 s CLIENT PAUSE', 'CLIENT PAUSE 3000 ALL right after callAsync', {
      resolvedTo: outcome.response?.toJSON() ?? null,
      rejectedWith: outcome.error ? `${outcome.error.name}: ${outcome.error.message}` : null,
      ms,
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.response?.toJSON()).toEqual({ success: true, data: { paused: 1 } });
  }, 30_000);

  it('rejects with AsyncError at timeoutMs (not earlier, not a raw Redis error) when Redis stays paused', async () => {
    const receipt = await executor.callAsync(Slow, { id: 1, ms: 50 });
    await pause(6000);
    const started = performance.now();
    const error = await executor.result(receipt, { timeoutMs: 2500 }).then(
      () => undefined,
      (caught: Error) => caught,
    );
    const ms = since(started);
    faultSummary('result() with Redis paused past timeoutMs', 'CLIENT PAUSE 6000 ALL, result(timeoutMs 2500)', {
      rejectedWith: error ? `${error.name}: ${error.message}` : 'nothing (resolved)',
      ms,
    });
    expect(error).toBeInstanceOf(AsyncError);
    expect(error?.message).toBe(`Job ${receipt.jobId} (fixtures.slow) did not finish within 2500ms`);
    expect(ms).toBeGreaterThanOrEqual(2400);
    expect(ms).toBeLessThan(4500);
  }, 30_000);

  it('leaks no unhandled rejection when Redis pauses as the wait starts (12 rounds, pause at 0-40 ms)', async () => {
    const ROUNDS = 12;
    const before = unhandled.length;
    const outcomes: string[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const receipt = await executor.callAsync(Slow, { id: round, ms: 20 });
      const waiting = executor.result(receipt, { timeoutMs: 8000 }).then(
        (response) => (response.success ? 'success' : 'failure'),
        (error: Error) => `${error.name}: ${error.message}`,
      );
      await sleep((round * 7) % 41);
      await pause(2200);
      outcomes.push(await waiting);
      await sleep(Math.max(0, pausedUntil - performance.now()) + 100); // the next enqueue needs Redis
    }
    await sleep(500);
    const leaked = unhandled.slice(before).map((reason) => String((reason as Error)?.message ?? reason));
    faultSummary('result() with CLIENT PAUSE as the wait starts', `${ROUNDS} x CLIENT PAUSE 2200 ALL`, {
      unhandledRejections: leaked.length,
      firstLeak: leaked[0] ?? null,
      successes: outcomes.filter((outcome) => outcome === 'success').length,
      otherOutcomes: outcomes.filter((outcome) => outcome !== 'success'),
      ms: since(started),
    });
    expect(leaked).toEqual([]);
    expect(outcomes).toEqual(Array(ROUNDS).fill('success'));
  }, 120_000);

  it('refuses timeoutMs <= 0, NaN or beyond a timer: typed, at once, instead of waiting forever', async () => {
    const receipt = await executor.callAsync(Slow, { id: 99, ms: 3000 });
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      const error = await Promise.race([
        executor.result(receipt, { timeoutMs }).then(
          () => new Error('resolved'),
          (caught: Error) => caught,
        ),
        sleep(1000).then(() => new Error('still waiting after 1 s')),
      ]);
      expect(error).toBeInstanceOf(AsyncError);
      expect(error.message).toBe(
        `result() needs timeoutMs between 1 and 2147483647 (milliseconds), got ${String(timeoutMs)}`,
      );
    }
  });
});
