import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { eventually } from '../support/redis-test-kit';

/**
 * Soak: 20,000 jobs through two worker processes at once. Every job's effect is counted
 * per job in Redis: exactly 20,000 distinct effects, none twice, nothing left in any queue
 * state, no job failed, and both processes did a share of the work.
 */
describe('faults: soak, 20,000 jobs through two workers', () => {
  const JOBS = 20_000;
  const BULK = 1000;
  let harness: FaultHarness;

  afterAll(async () => {
    await harness?.close();
  });

  it('runs every job exactly once, with both workers taking part', async () => {
    harness = new FaultHarness('soak');
    const queue = harness.queue();
    const env = { SERVUS_CONCURRENCY: '50' };
    const workers = await Promise.all([harness.startWorker(env), harness.startWorker(env)]);

    const started = performance.now();
    const metadata = { v: 1 };
    // The Servus payload shape, as callAsync stores it, with the library's default retention.
    const opts = {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10_000 },
    };
    for (let first = 1; first <= JOBS; first += BULK) {
      await queue.addBulk(
        Array.from({ length: BULK }, (_, i) => ({
          name: 'fixtures.ledger',
          data: { service: 'fixtures.ledger', args: { n: first + i }, metadata },
          opts,
        })),
      );
    }
    const enqueuedMs = since(started);
    await eventually(async () => (await harness.ledger()).finished >= JOBS, 180_000, `${JOBS} jobs run`);
    // Wait for the last completions to be stored, then nothing may be left anywhere.
    await eventually(
      async () => Object.values(await harness.pending(queue)).every((count) => count === 0),
      15_000,
      'empty queue',
    );
    const totalMs = since(started);
    const ledger = await harness.ledger();
    const counts = await harness.pending(queue);
    const failed = await queue.getFailedCount();
    const byWorker = workers.map((worker) => ledger.pids.get(String(worker.child.pid)) ?? 0);

    faultSummary('soak', `${JOBS} jobs (addBulk of ${BULK}) through 2 worker processes, concurrency 50 each`, {
      executions: ledger.executions,
      distinctEffects: ledger.distinctEffects,
      effectsApplied: ledger.effectsApplied,
      duplicateEffects: ledger.duplicateEffects.length,
      byWorker,
      failed,
      leftInQueue: counts,
      enqueueMs: enqueuedMs,
      totalMs,
      jobsPerSecond: Math.round(JOBS / (totalMs / 1000)),
    });
    expect(ledger.distinctEffects).toBe(JOBS);
    expect(ledger.effectsApplied).toBe(JOBS);
    expect(ledger.executions).toBe(JOBS);
    expect(ledger.duplicateEffects).toEqual([]);
    expect([...ledger.effects.keys()].map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: JOBS }, (_, i) => i + 1),
    );
    expect(failed).toBe(0);
    expect(counts).toEqual({ active: 0, wait: 0, waiting: 0, delayed: 0, prioritized: 0, 'waiting-children': 0 });
    expect(byWorker[0] + byWorker[1]).toBe(JOBS);
    // Both took a real share (not a token job or two).
    expect(Math.min(...byWorker)).toBeGreaterThan(JOBS * 0.1);
  }, 240_000);
});
