import { JobEnqueueError, ServusExecutor } from 'nestjs-servus';
import { Echo } from '../e2e/fixtures/fixture-services';
import { AppProcess } from '../support/app-process';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since, sleep } from '../support/fault-summary';
import { RedisServer } from '../support/redis-server';
import { eventually } from '../support/redis-test-kit';
import { freePort } from '../support/free-port';

/**
 * Fault: the Redis server dies (SIGKILL) under a running worker and an api, then comes back
 * on the same port. The server keeps nothing on disk, so what was in Redis is gone with it;
 * what matters: callAsync fails fast and typed while it is down, nothing hangs or crashes,
 * and once it is back the worker reconnects by itself and runs what is enqueued.
 */
describe('faults: Redis restarted under a running worker', () => {
  let server: RedisServer;
  let harness: FaultHarness;
  let executor: ServusExecutor;
  let worker: AppProcess;
  let workerHealth: string;
  const health = async () => {
    const response = await fetch(workerHealth);
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    harness = new FaultHarness('redis-restart', server.url());
    ({ executor } = await harness.api());
    const port = await freePort();
    workerHealth = `http://127.0.0.1:${port}/health`;
    worker = await harness.startWorker({ SERVUS_CONCURRENCY: '5', SERVUS_WORKER_HTTP_PORT: String(port) });
  });

  afterAll(async () => {
    await harness?.close();
    await server?.stop();
  });

  const echoed = async (batch: string) =>
    (await harness.calls())
      .filter((call) => (call.args as { batch?: string }).batch === batch)
      .map((call) => (call.args as { i: number }).i);

  it('fails callAsync fast with JobEnqueueError while Redis is down, the worker reports itself unready; after the restart it reconnects, is ready and runs new jobs', async () => {
    // Before: the set-up works.
    const before = await Promise.all(
      Array.from({ length: 20 }, (_, i) => executor.callAsync(Echo, { batch: 'before', i })),
    );
    await eventually(
      async () => (await echoed('before')).length === 20,
      15_000,
      'the 20 jobs enqueued before the outage',
    );
    // Pending at the kill: delayed jobs, lost with the data of a server that saves nothing.
    const pendingAtKill = await Promise.all(
      Array.from({ length: 10 }, (_, i) => executor.callAsync(Echo, { batch: 'lost', i }, { wait: '1m' })),
    );

    expect((await health()).status).toBe(200);
    await server.kill('SIGKILL');
    const killedAt = performance.now();

    // Down: every callAsync rejects, typed, within the enqueue timeout (2000 ms by default), none hangs.
    const outage: Array<{ ms: number; error: unknown }> = [];
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      const error = await executor.callAsync(Echo, { batch: 'outage', i }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      outage.push({ ms: since(started), error });
      if (i === 1) await sleep(1000); // also once ioredis is well into its reconnect back-off
    }
    const workerAliveDuringOutage = worker.child.exitCode === null && worker.child.signalCode === null;
    // The worker process's own readiness says it cannot work (an orchestrator stops counting on it), naming why.
    let unready: any;
    await eventually(
      async () => (unready = await health()).status === 503 && unready.body.error.worker !== undefined,
      10_000,
      'worker /health 503',
    );
    expect(unready.body.error.redis.status).toBe('down');
    expect(Object.values(unready.body.error.worker.queues)).toEqual(['disconnected']);
    const outageMs = since(killedAt);

    await server.restart();
    const restartedAt = performance.now();
    // Back: callAsync succeeds again, on its own (the producer reconnects), and the same worker process runs new jobs.
    let firstReceipt: unknown;
    let attemptsUntilAccepted = 0;
    await eventually(
      async () => {
        attemptsUntilAccepted++;
        firstReceipt = await executor.callAsync(Echo, { batch: 'after', i: 0 }).catch(() => undefined);
        return firstReceipt !== undefined;
      },
      15_000,
      'callAsync to succeed after the restart',
    );
    const acceptedAfterMs = since(restartedAt);
    const after = await Promise.all(
      Array.from({ length: 19 }, (_, i) => executor.callAsync(Echo, { batch: 'after', i: i + 1 })),
    );
    await eventually(
      async () => (await echoed('after')).length === 20,
      20_000,
      'the 20 jobs enqueued after the restart',
    );
    const drainedAfterMs = since(restartedAt);
    await eventually(async () => (await health()).status === 200, 10_000, 'worker /health 200 again');
    const queue = harness.queue();
    const lostJobs = (await Promise.all(pendingAtKill.map(({ jobId }) => queue.getJob(jobId)))).filter(
      (job) => !job,
    ).length;
    const counts = await harness.pending(queue);

    faultSummary(
      'Redis restarted under a running worker',
      `SIGKILL of redis-server :${server.port} for ${outageMs} ms, then a restart on the same port (no persistence)`,
      {
        completedBefore: before.length,
        callAsyncDuringOutageMs: outage.map((attempt) => attempt.ms),
        outageErrors: [...new Set(outage.map((attempt) => (attempt.error as Error)?.constructor?.name))],
        workerAliveDuringOutage,
        callAsyncAcceptedAfterRestartMs: acceptedAfterMs,
        attemptsUntilAccepted,
        enqueuedAfterRestart: after.length + 1,
        ranAfterRestart: (await echoed('after')).length,
        allRunWithinMsOfRestart: drainedAfterMs,
        pendingAtKillLostWithData: `${lostJobs}/${pendingAtKill.length} (the server saves nothing: expected)`,
      },
    );

    for (const attempt of outage) {
      expect(attempt.error).toBeInstanceOf(JobEnqueueError);
      expect((attempt.error as Error).message).toMatch(
        /^Could not enqueue fixtures\.echo: Redis did not take the job: /,
      );
      expect(attempt.ms).toBeLessThan(2000 + 250);
    }
    expect(workerAliveDuringOutage).toBe(true);
    expect((await echoed('after')).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await harness.calls()).every((call) => call.pid === worker.child.pid)).toBe(true);
    expect(await echoed('outage')).toEqual([]);
    expect(lostJobs).toBe(pendingAtKill.length);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(worker.child.exitCode).toBeNull();
  });
});
