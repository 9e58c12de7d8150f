import { ServusExecutor } from 'nestjs-servus';
import { GuardedLedgerEntry, LedgerEntry } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { eventually } from '../support/redis-test-kit';

/**
 * Fault: a worker process is SIGKILLed in the middle of a batch of 500 jobs. A new worker
 * must finish every job (stalled-job recovery). Each job's effect is counted per job in
 * Redis: every one of the 500 is there; a job ran twice only if the killed worker had it in
 * flight (at least once); behind an idempotency guard, no effect is applied twice.
 */
describe('faults: worker SIGKILL mid-batch', () => {
  const JOBS = 500;
  const CONCURRENCY = 20;
  // Short lock: a killed worker's jobs are taken back within a few seconds.
  const stallEnv = {
    SERVUS_CONCURRENCY: String(CONCURRENCY),
    SERVUS_LOCK_DURATION_MS: '2000',
    SERVUS_STALLED_INTERVAL_MS: '1000',
  };
  let harness: FaultHarness;

  afterEach(async () => {
    await harness?.close();
  });

  async function killMidBatch(name: string, service: typeof LedgerEntry | typeof GuardedLedgerEntry) {
    harness = new FaultHarness(`kill-${name}`);
    const { executor } = await harness.api();
    const queue = harness.queue();
    await enqueueAll(executor, service);
    expect(await queue.getWaitingCount()).toBe(JOBS);

    const first = await harness.startWorker(stallEnv);
    // Kill once a good part of the batch ran and jobs are in flight (their effect applied, their 40 ms of work not done).
    let atKill = await harness.ledger();
    await eventually(
      async () => {
        atKill = await harness.ledger();
        return atKill.distinctRun >= 150 && atKill.started - atKill.finished >= 5;
      },
      20_000,
      'the first worker to be mid-batch',
    );
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    atKill = await harness.ledger();
    const activeAtKill = await queue.getActiveCount();
    const inFlightAtKill = atKill.started - atKill.finished;

    const killedAt = performance.now();
    const second = await harness.startWorker(stallEnv);
    await eventually(async () => (await queue.getCompletedCount()) === JOBS, 30_000, `all ${JOBS} jobs completed`);
    const recoveryMs = since(killedAt);
    const after = await harness.ledger();
    const counts = await harness.pending(queue);
    const failed = await queue.getFailedCount();
    return { queue, first, second, atKill, activeAtKill, inFlightAtKill, after, counts, failed, recoveryMs };
  }

  it('unguarded service: all 500 effects are there; duplicates only for the jobs the killed worker had in flight', async () => {
    const run = await killMidBatch('plain', LedgerEntry);
    const { after } = run;
    summarize('worker SIGKILL mid-batch, service without guard', run);

    expectEveryJobDone(run);
    // At least once: every job the killed worker was running ran again, once more; no job it had not taken did...
    expectRerunsOnlyOfKilledJobs(run);
    expect(Math.max(...after.runs.values())).toBe(2);
    expect(after.executions).toBe(JOBS + after.reruns.length);
    // ...and without a guard their effect doubled; nothing else did.
    expect(after.duplicateEffects.sort((a, b) => a - b)).toEqual(after.reruns.sort((a, b) => a - b));
    expect(after.effectsApplied).toBe(JOBS + after.duplicateEffects.length);
  });

  it('service with an idempotency guard: all 500 effects are there, none twice, though jobs ran again', async () => {
    const run = await killMidBatch('guarded', GuardedLedgerEntry);
    const { after } = run;
    summarize('worker SIGKILL mid-batch, service with idempotency guard', run);

    expectEveryJobDone(run);
    expectRerunsOnlyOfKilledJobs(run); // the guard was put to the test
    expect(after.executions).toBe(JOBS + after.reruns.length);
    expect(after.duplicateEffects).toEqual([]);
    expect(after.effectsApplied).toBe(JOBS);
  });

  function summarize(title: string, run: Awaited<ReturnType<typeof killMidBatch>>) {
    const { after, atKill } = run;
    faultSummary(title, `SIGKILL of worker ${run.first.child.pid} with ${run.inFlightAtKill} job(s) mid-run`, {
      jobs: JOBS,
      completedByFirstBeforeKill: atKill.finished,
      activeAtKill: run.activeAtKill,
      executions: after.executions,
      distinctEffects: after.distinctEffects,
      effectsApplied: after.effectsApplied,
      duplicateEffects: after.duplicateEffects.length,
      reruns: after.reruns.length,
      byPid: Object.fromEntries(after.pids),
      failed: run.failed,
      killToAllCompletedMs: run.recoveryMs,
    });
  }

  function expectRerunsOnlyOfKilledJobs({
    after,
    inFlightAtKill,
    activeAtKill,
  }: Awaited<ReturnType<typeof killMidBatch>>) {
    expect(inFlightAtKill).toBeGreaterThan(0);
    // Mid-run at the kill (effect applied, not finished) <= ran twice <= taken by the killed worker (BullMQ active).
    expect(after.reruns.length).toBeGreaterThanOrEqual(inFlightAtKill);
    expect(after.reruns.length).toBeLessThanOrEqual(activeAtKill);
    expect(activeAtKill).toBeLessThanOrEqual(CONCURRENCY);
  }

  function expectEveryJobDone(run: Awaited<ReturnType<typeof killMidBatch>>) {
    const { after, counts, first, second } = run;
    const expected = Array.from({ length: JOBS }, (_, i) => String(i + 1)).sort();
    expect([...after.effects.keys()].sort()).toEqual(expected);
    expect(run.failed).toBe(0);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    // Both processes ran jobs; the new one took the killed one's back.
    expect(after.pids.get(String(first.child.pid))).toBeGreaterThan(0);
    expect(after.pids.get(String(second.child.pid))).toBeGreaterThan(0);
    expect(second.output).toMatch(/stalled/);
  }
});

async function enqueueAll(
  executor: ServusExecutor,
  service: typeof LedgerEntry | typeof GuardedLedgerEntry,
): Promise<void> {
  for (let start = 1; start <= 500; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => executor.callAsync(service as typeof LedgerEntry, { n: start + i, ms: 40 })),
    );
  }
}
