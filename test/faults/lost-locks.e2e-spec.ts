import { Slow } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { freePort } from '../support/free-port';
import { eventually, waitForJob } from '../support/redis-test-kit';

/**
 * Fault: a job's lock is lost (its worker's event loop blocked past the lock's life) or its
 * worker dies more often than `maxStalledCount` allows. The first aborts the job's signal, and
 * is logged and counted; the second fails the job for good, logged and counted as dead.
 * Nothing dies unseen.
 */
describe('faults: lost locks and jobs failed by stall recovery', () => {
  let harness: FaultHarness;

  afterEach(async () => {
    await harness?.close();
  });

  const metric = async (port: number, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith(name));
  };

  it('aborts the signal of a job whose lock renewal failed, logs it and counts it', async () => {
    harness = new FaultHarness('lost-lock');
    const port = await freePort();
    const worker = await harness.startWorker({
      SERVUS_LOCK_DURATION_MS: '1000',
      SERVUS_STALLED_INTERVAL_MS: '30000',
      SERVUS_WORKER_HTTP_PORT: String(port),
    });
    const job = await harness.queue().add('fixtures.block', {
      service: 'fixtures.block',
      args: { id: 1, blockMs: 2500, ms: 8000 },
      metadata: { v: 1 },
    });
    const started = performance.now();
    let end: { aborted?: string | null; steps?: number } | undefined;
    await eventually(
      async () => {
        const call = (await harness.calls()).find((item) => item.service === 'fixtures.block' && item.phase === 'end');
        end = call?.args as typeof end;
        return end !== undefined;
      },
      20_000,
      'the blocking job to end',
    );
    const counted = await metric(port, 'servus_job_locks_lost_total');
    faultSummary('lock lost to a blocked event loop', `job ${job.id} blocks its worker 2.5 s with a 1 s lock`, {
      abortedWith: end?.aborted ?? null,
      stepsBeforeAbort: end?.steps,
      logLine: /Job \S+ on default lost its lock[^\n]*/.exec(worker.output)?.[0] ?? null,
      metric: counted.join(' '),
      ms: since(started),
    });
    expect(end?.aborted).toBe(`lock lost: job ${job.id} on default may run again elsewhere`);
    expect(end?.steps).toBeLessThan(40);
    expect(worker.output).toContain(
      `Job ${job.id} on default lost its lock (Redis stalled or the event loop was blocked): its signal is aborted`,
    );
    expect(counted).toContain('servus_job_locks_lost_total{service="fixtures.block",queue="default"} 1');
  }, 60_000);

  it('logs and counts as dead a job failed by stall recovery (maxStalledCount 0, its worker SIGKILLed)', async () => {
    harness = new FaultHarness('stalled-dead');
    const stall = { SERVUS_LOCK_DURATION_MS: '1000', SERVUS_STALLED_INTERVAL_MS: '500', SERVUS_MAX_STALLED_COUNT: '0' };
    const { executor } = await harness.api();
    const first = await harness.startWorker(stall);
    const receipt = await executor.callAsync(Slow, { id: 1, ms: 30_000 });
    await eventually(async () => (await harness.calls()).some((call) => call.phase === 'start'), 10_000, 'job start');
    await first.stop('SIGKILL');
    const killed = performance.now();
    const port = await freePort();
    const second = await harness.startWorker({ ...stall, SERVUS_WORKER_HTTP_PORT: String(port) });
    const job = await waitForJob(harness.queue(), receipt.jobId, ['failed', 'completed'], 20_000);
    await eventually(async () => (await metric(port, 'servus_jobs_dead_total{')).length > 0, 10_000, 'dead metric');
    const dead = await metric(port, 'servus_jobs_dead_total{');
    faultSummary('job failed by stall recovery', `worker ${first.child.pid} SIGKILLed mid-job, maxStalledCount 0`, {
      state: await job.getState(),
      failedReason: job.failedReason,
      logLine: /Job \S+ on default failed for good[^\n]*/.exec(second.output)?.[0] ?? null,
      metric: dead.join(' '),
      killToFailedMs: since(killed),
    });
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('job stalled more than allowable limit');
    expect(second.output).toMatch(
      new RegExp(
        `Job ${receipt.jobId} on default failed for good after \\d+ attempt\\(s\\): job stalled more than allowable limit`,
      ),
    );
    expect(dead).toEqual(['servus_jobs_dead_total{service="fixtures.slow",queue="default"} 1']);
  }, 90_000);
});
