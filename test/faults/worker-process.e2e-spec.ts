import { Slow } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since, sleep } from '../support/fault-summary';
import { RedisServer } from '../support/redis-server';
import { eventually } from '../support/redis-test-kit';

/**
 * Fault: what can end a worker process (runServusWorker) besides a clean SIGTERM: a rejection
 * nobody handles, a SIGTERM during boot, a shutdown with Redis gone. Each ends with what a
 * supervisor needs: a log line saying why, the running jobs drained, an exit code that says it.
 */
describe('faults: the worker process (runServusWorker)', () => {
  let harness: FaultHarness;

  afterEach(async () => {
    await harness?.close();
  });

  const payload = (service: string, args: unknown) => ({ service, args, metadata: { v: 1 } });

  it('logs an unhandled rejection with the running jobs, drains them and exits 1', async () => {
    harness = new FaultHarness('worker-unhandled');
    const { executor } = await harness.api();
    const worker = await harness.startWorker({ SERVUS_CONCURRENCY: '5' });
    const slow = await executor.callAsync(Slow, { id: 1, ms: 1500 });
    await eventually(async () => (await harness.calls()).some((call) => call.phase === 'start'), 10_000, 'slow start');
    const leak = await harness.queue().add('fixtures.leak', payload('fixtures.leak', { id: 2 }));
    const ended = await Promise.race([worker.stop('SIGCONT'), sleep(15_000).then(() => 'still running')]);
    const calls = await harness.calls();
    const slowEnded = calls.some((call) => call.service === 'fixtures.slow' && call.phase === 'end');
    faultSummary('unhandled rejection in a worker', `a job (${leak.id}) leaves a rejected promise unhandled`, {
      exit: ended,
      slowJobFinishedBeforeExit: slowEnded,
      logLine: /Unhandled rejection.*/.exec(worker.output)?.[0] ?? null,
    });
    expect(ended).toEqual({ code: 1, signal: null });
    expect(worker.output).toMatch(
      new RegExp(`Unhandled rejection \\(jobs running: [^)]*default:${slow.jobId}[^)]*\\): Error: leaked by job 2`),
    );
    expect(worker.output).toMatch(/exiting with code 1 so a supervisor restarts the worker/);
    expect(slowEnded).toBe(true);
    expect(await (await harness.queue().getJob(slow.jobId))!.getState()).toBe('completed');
  }, 60_000);

  it('drains and exits 0 on a SIGTERM sent as soon as "Worker consuming" is printed (12 tries, with HTTP)', async () => {
    harness = new FaultHarness('worker-early-sigterm');
    const exits: string[] = [];
    const started = performance.now();
    for (let round = 0; round < 12; round++) {
      const worker = await harness.startWorker({ SERVUS_WORKER_HTTP_PORT: '0' });
      const ended = await worker.stop('SIGTERM');
      exits.push(ended.signal ?? String(ended.code));
      harness.workers.splice(harness.workers.indexOf(worker), 1);
    }
    faultSummary('SIGTERM right after "Worker consuming"', '12 workers, each sent SIGTERM once consuming', {
      exits: exits.join(','),
      ms: since(started),
    });
    expect(exits).toEqual(Array(12).fill('0'));
  }, 240_000);

  it('returns promptly from a shutdown with Redis gone and no job running (not after shutdownTimeoutMs)', async () => {
    const server = await RedisServer.start();
    try {
      harness = new FaultHarness('worker-redis-gone', server.url());
      const worker = await harness.startWorker({ SERVUS_SHUTDOWN_TIMEOUT_MS: '20000' });
      await server.kill('SIGKILL');
      await sleep(1000);
      const signalled = performance.now();
      const ended = await Promise.race([worker.stop('SIGTERM'), sleep(25_000).then(() => 'still running')]);
      const ms = since(signalled);
      faultSummary('shutdown with Redis gone', 'redis-server killed, then SIGTERM to an idle worker', {
        exit: ended,
        sigtermToExitMs: ms,
        saidJobsInFlight: /closing with jobs in flight/.test(worker.output),
      });
      expect(ended).toEqual({ code: 0, signal: null });
      expect(ms).toBeLessThan(5000);
      expect(worker.output).not.toMatch(/closing with jobs in flight/);
    } finally {
      await harness.close();
      await server.stop();
    }
  }, 60_000);
});
