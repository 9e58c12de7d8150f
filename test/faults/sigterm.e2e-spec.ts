import { Slow } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { eventually, waitForJob } from '../support/redis-test-kit';

/**
 * Fault: SIGTERM to a busy worker (a deploy). In-flight jobs finish, no new job starts, the
 * process exits 0 within SERVUS_SHUTDOWN_TIMEOUT_MS; a job still running at that deadline
 * is abandoned to stalled recovery and completed by the next worker.
 */
describe('faults: SIGTERM to a busy worker', () => {
  let harness: FaultHarness;

  afterEach(async () => {
    await harness?.close();
  });

  const ids = (calls: Awaited<ReturnType<FaultHarness['calls']>>, phase: 'start' | 'end', pid?: number) =>
    calls
      .filter((call) => call.phase === phase && (pid === undefined || call.pid === pid))
      .map((call) => (call.args as { id: number }).id)
      .sort((a, b) => a - b);

  it('lets the 3 in-flight jobs finish, starts none of the 7 waiting, exits 0 within the grace period; nothing is lost', async () => {
    const GRACE_MS = 6000;
    harness = new FaultHarness('sigterm-drain');
    const { executor } = await harness.api();
    const queue = harness.queue();
    const worker = await harness.startWorker({ SERVUS_CONCURRENCY: '3', SERVUS_SHUTDOWN_TIMEOUT_MS: String(GRACE_MS) });

    const inFlight = await Promise.all([1, 2, 3].map((id) => executor.callAsync(Slow, { id, ms: 1500 })));
    await eventually(async () => ids(await harness.calls(), 'start').length === 3, 10_000, '3 jobs in flight');
    const waiting = await Promise.all([4, 5, 6, 7, 8].map((id) => executor.callAsync(Slow, { id, ms: 10 })));

    const signalled = performance.now();
    const exit = worker.stop('SIGTERM');
    await worker.waitFor(/SIGTERM received/, 5000);
    // Enqueued while it drains: must not be taken either.
    const late = await Promise.all([9, 10].map((id) => executor.callAsync(Slow, { id, ms: 10 })));
    const ended = await exit;
    const exitMs = since(signalled);

    const calls = await harness.calls();
    const states = await Promise.all(
      [...inFlight, ...waiting, ...late].map(async ({ jobId }) => (await queue.getJob(jobId))!.getState()),
    );
    faultSummary(
      'SIGTERM with 3 jobs in flight and 7 waiting',
      `SIGTERM to worker ${worker.child.pid} (SERVUS_SHUTDOWN_TIMEOUT_MS=${GRACE_MS})`,
      {
        exit: ended,
        sigtermToExitMs: exitMs,
        startedBeforeExit: ids(calls, 'start'),
        finishedBeforeExit: ids(calls, 'end'),
        statesAfterExit: states.join(','),
      },
    );
    expect(ended).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(GRACE_MS);
    expect(ids(calls, 'start')).toEqual([1, 2, 3]);
    expect(ids(calls, 'end')).toEqual([1, 2, 3]);
    expect(states).toEqual([
      'completed',
      'completed',
      'completed',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
    ]);
    expect(worker.output).not.toMatch(/timed out/);

    // The next worker takes the 7 it left.
    const next = await harness.startWorker();
    for (const { jobId } of [...waiting, ...late])
      expect(await (await waitForJob(queue, jobId)).getState()).toBe('completed');
    expect(ids(await harness.calls(), 'end', next.child.pid)).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });

  it('exits 0 at the grace deadline with a job still running; the job is recovered as stalled and completed by a new worker', async () => {
    const GRACE_MS = 1500;
    const stallEnv = { SERVUS_LOCK_DURATION_MS: '2000', SERVUS_STALLED_INTERVAL_MS: '1000' };
    harness = new FaultHarness('sigterm-deadline');
    const { executor } = await harness.api();
    const queue = harness.queue();
    const worker = await harness.startWorker({
      ...stallEnv,
      SERVUS_CONCURRENCY: '2',
      SERVUS_SHUTDOWN_TIMEOUT_MS: String(GRACE_MS),
    });

    const short = await executor.callAsync(Slow, { id: 1, ms: 500 });
    const long = await executor.callAsync(Slow, { id: 2, ms: 4000 });
    await eventually(async () => ids(await harness.calls(), 'start').length === 2, 10_000, 'both jobs in flight');

    const signalled = performance.now();
    const ended = await worker.stop('SIGTERM');
    const exitMs = since(signalled);
    const longStateAtExit = await (await queue.getJob(long.jobId))!.getState();
    const shortStateAtExit = await (await queue.getJob(short.jobId))!.getState();

    const recovering = performance.now();
    const next = await harness.startWorker(stallEnv);
    const job = await waitForJob(queue, long.jobId, ['completed', 'failed'], 20_000);
    const recoveryMs = since(recovering);
    const calls = await harness.calls();
    faultSummary(
      'SIGTERM with a job longer than the grace period',
      `SIGTERM to worker ${worker.child.pid} (SERVUS_SHUTDOWN_TIMEOUT_MS=${GRACE_MS}, job of 4000 ms)`,
      {
        exit: ended,
        sigtermToExitMs: exitMs,
        shortJobAtExit: shortStateAtExit,
        longJobAtExit: longStateAtExit,
        longJobFinally: await job.getState(),
        recoveredByNewWorkerInMs: recoveryMs,
        runsOfLongJob: ids(calls, 'start').filter((id) => id === 2).length,
      },
    );

    expect(ended).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(exitMs).toBeLessThan(GRACE_MS + 2500);
    expect(worker.output).toContain('Worker shutdown timed out: closing with jobs in flight');
    expect(shortStateAtExit).toBe('completed');
    expect(longStateAtExit).toBe('active'); // abandoned, still locked by the dead process until the lock expires
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ success: true, data: { id: 2 } });
    expect(ids(calls, 'start', worker.child.pid)).toEqual([1, 2]);
    expect(ids(calls, 'end', worker.child.pid)).toEqual([1]);
    expect(ids(calls, 'start', next.child.pid)).toEqual([2]);
    expect(ids(calls, 'end', next.child.pid)).toEqual([2]);
    expect(next.output).toMatch(new RegExp(`Job ${long.jobId} on default stalled`));
  });
});
