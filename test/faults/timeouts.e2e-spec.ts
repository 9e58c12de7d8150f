import { INestApplication } from '@nestjs/common';
import { ServusExecutor } from 'nestjs-servus';
import { ServusHealthModule } from 'nestjs-servus/health';
import { FixturesModule, Slow } from '../e2e/fixtures/fixture-services';
import { FaultFixturesModule, Hung } from '../e2e/fixtures/fault-fixtures';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since, sleep } from '../support/fault-summary';
import { listenLocal } from '../support/free-port';
import { waitForJob } from '../support/redis-test-kit';
import { compileServus } from '../support/servus-app';

/**
 * Fault: a service that never answers. Its deadline ends each attempt with a retryable
 * timeout, the job is retried per its attempts, and the worker's slot is free for the next
 * job; readiness shows the oldest running job's age against its threshold.
 */
describe('faults: deadlines of hung services', () => {
  let harness: FaultHarness;
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await harness?.close();
  });

  it('ends a hung job at its 1 s deadline, retries it per attempts, and frees the slot (concurrency 1)', async () => {
    harness = new FaultHarness('timeouts');
    const worker = await harness.startWorker({ SERVUS_CONCURRENCY: '1' });
    const queue = harness.queue();
    const started = performance.now();
    const hung = await queue.add(
      'fixtures.hung',
      { service: 'fixtures.hung', args: { id: 1 }, metadata: { v: 1 } },
      { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
    );
    const next = await queue.add('fixtures.echo', {
      service: 'fixtures.echo',
      args: { after: 'hung' },
      metadata: { v: 1 },
    });
    const failed = await waitForJob(queue, hung.id!, ['failed', 'completed'], 20_000);
    const echoed = await waitForJob(queue, next.id!, ['failed', 'completed'], 20_000);
    const ms = since(started);
    const ends = (await harness.calls()).filter((call) => call.service === 'fixtures.hung' && call.phase === 'end');
    faultSummary('a hung service with a 1 s timeout', `job ${hung.id} never answers, 2 attempts, concurrency 1`, {
      state: await failed.getState(),
      attemptsMade: failed.attemptsMade,
      failedReason: failed.failedReason,
      abortedRuns: ends.length,
      nextJob: await echoed.getState(),
      ms,
    });
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(2);
    expect(failed.failedReason).toBe('ServiceTimeoutError (timeout): fixtures.hung did not finish within 1000ms');
    expect(ends.map((call) => (call.args as { aborted: string }).aborted)).toEqual([
      'ServiceTimeoutError: fixtures.hung did not finish within 1000ms',
      'ServiceTimeoutError: fixtures.hung did not finish within 1000ms',
    ]);
    expect(await echoed.getState()).toBe('completed');
    expect(worker.output).toMatch(/attempt 1 failed, will retry: ServiceTimeoutError \(timeout\)/);
  }, 60_000);

  it('readiness reports the oldest running job and is down while it runs longer than maxActiveJobAgeMs', async () => {
    harness = new FaultHarness('job-age');
    const moduleRef = await compileServus(harness.servusOptions({ worker: { concurrency: 1 } }), [
      ServusHealthModule.forRoot({ maxActiveJobAgeMs: 1000 }),
      FixturesModule,
    ]);
    app = moduleRef.createNestApplication({ logger: false });
    const url = await listenLocal(app);
    const ready = async () => {
      const response = await fetch(`${url}/health/ready`);
      return { status: response.status, body: (await response.json()) as any };
    };
    const receipt = await app.get(ServusExecutor).callAsync(Slow, { id: 1, ms: 2500 });
    const seen: Array<{ status: number; ageMs?: number }> = [];
    const started = performance.now();
    while (performance.now() - started < 6000) {
      const { status, body } = await ready();
      const job = body.details?.worker?.oldestActiveJob;
      seen.push({ status, ageMs: job?.ageMs });
      if (status === 503)
        expect(body.error.worker.message).toMatch(
          new RegExp(`^job ${receipt.jobId} on default has run \\d+ms, longer than 1000ms$`),
        );
      if (seen.some((item) => item.status === 503) && status === 200 && job === undefined) break;
      await sleep(200);
    }
    faultSummary('readiness with a long job', 'a 2.5 s job, maxActiveJobAgeMs 1000', {
      statuses: seen.map((item) => `${item.status}${item.ageMs === undefined ? '' : `@${item.ageMs}ms`}`).join(' '),
    });
    expect(seen.some((item) => item.status === 200 && item.ageMs !== undefined && item.ageMs < 1000)).toBe(true);
    expect(seen.some((item) => item.status === 503 && item.ageMs! > 1000)).toBe(true);
    expect(seen[seen.length - 1]).toEqual({ status: 200, ageMs: undefined });
  }, 60_000);

  it('a body that ignores its deadline stays the oldest running job in readiness after its attempt has failed', async () => {
    harness = new FaultHarness('job-age-hung');
    const moduleRef = await compileServus(
      // The body never settles: shutdown waits for it (as for a running job) only this long.
      harness.servusOptions({ worker: { concurrency: 1, shutdownTimeoutMs: 1000 } }),
      [ServusHealthModule.forRoot({ maxActiveJobAgeMs: 1500 }), FaultFixturesModule],
    );
    app = moduleRef.createNestApplication({ logger: false });
    const url = await listenLocal(app);
    const executor = app.get(ServusExecutor);
    const receipt = await executor.callAsync(Hung, { id: 1 }, { attempts: 1 });
    const failed = await waitForJob(harness.queue(), receipt.jobId, ['failed', 'completed'], 10_000);
    await sleep(700); // past maxActiveJobAgeMs: the attempt failed at its 1 s deadline, its body still runs
    const response = await fetch(`${url}/health/ready`);
    const body = (await response.json()) as any;
    faultSummary('readiness after a deadline the body ignores', 'fixtures.hung: timeout 1 s, never settles', {
      job: `${await failed.getState()}: ${failed.failedReason}`,
      readiness: response.status,
      message: body.error?.worker?.message,
    });
    expect(failed.failedReason).toBe('ServiceTimeoutError (timeout): fixtures.hung did not finish within 1000ms');
    expect(response.status).toBe(503);
    expect(body.error.worker.message).toMatch(
      new RegExp(`^job ${receipt.jobId} on default has run \\d+ms, longer than 1500ms$`),
    );
  }, 30_000);
});
