import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  AsyncError,
  InternalServerError,
  JobEnqueueError,
  NotFoundError,
  ServiceUnavailableError,
  ServusContext,
  ServusEvents,
  ServusExecutor,
  ValidationError,
} from 'nestjs-servus';
import { readCalls } from './fixtures/call-recorder';
import {
  AlwaysNotFound,
  Announce,
  Cancellable,
  ContextProbe,
  Echo,
  Explode,
  FixturesModule,
  FlakyUpstream,
  Schedule,
  ScheduleArgs,
  SignUp,
  Slow,
  Validated,
} from './fixtures/fixture-services';
import { WorkerProcess } from '../support/app-process';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { bootServus } from '../support/servus-app';

/**
 * callAsync from this process (the "api"), services run by apps/worker's bootstrap in a
 * separate OS process, over the real Redis.
 */
describe('callAsync through a worker process', () => {
  const redis = new Redis(REDIS_URL);
  let prefix: string;
  let fixtureKey: string;
  let api: INestApplicationContext;
  let executor: ServusExecutor;
  let queues: Queue[];
  let workers: WorkerProcess[];

  const workerEnv = (extra: Record<string, string> = {}) => ({
    REDIS_URL,
    SERVUS_PREFIX: prefix,
    SERVUS_QUEUES: 'default,critical',
    FIXTURE_KEY: fixtureKey,
    ...extra,
  });
  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = await WorkerProcess.start(workerEnv(extra));
    workers.push(worker);
    return worker;
  };
  const queue = (name = 'default') => {
    const q = new Queue(name, { connection: { url: REDIS_URL }, prefix });
    queues.push(q);
    return q;
  };
  const calls = () => readCalls(redis, fixtureKey);

  beforeEach(async () => {
    prefix = uniquePrefix('async');
    fixtureKey = `${prefix}:fixture-calls`;
    queues = [];
    workers = [];
    api = await bootServus(
      { connection: { url: REDIS_URL }, prefix, queues: ['default', 'critical'], context: { carry: ['tenantId'] } },
      [FixturesModule],
    );
    executor = api.get(ServusExecutor);
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await Promise.all(queues.map((q) => q.close()));
    await api?.close();
    await deletePrefix(redis, prefix);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('runs the service in the worker with arguments deep-equal to what was passed', async () => {
    await startWorker();
    const args = {
      id: 7,
      name: 'Zoë ✓',
      nested: { list: [1, 'two', null, { deep: true }], empty: {} },
      flag: false,
      ratio: 0.25,
    };
    const receipt = await executor.callAsync(Echo, args);
    expect(receipt).toEqual({ jobId: expect.any(String), queue: 'default', service: 'fixtures.echo' });

    const job = await waitForJob(queue(), receipt.jobId);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ success: true, data: args });
    const recorded = await calls();
    expect(recorded).toHaveLength(1);
    expect(recorded[0].args).toEqual(args);
    expect(recorded[0].pid).not.toBe(process.pid);
  });

  it('completes a business failure after one attempt, storing the failure response', async () => {
    await startWorker();
    const receipt = await executor.callAsync(AlwaysNotFound, { id: 3 }, { attempts: 3, backoff: 10 });
    const job = await waitForJob(queue(), receipt.jobId);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({
      success: false,
      error: { name: 'NotFoundError', code: 'not_found', message: 'No record 3', httpStatus: 404, retryable: false },
    });
    expect(await calls()).toHaveLength(1);
  });

  it('retries a retryable failure (rescued transient error) `attempts` times, then fails the job', async () => {
    await startWorker();
    const receipt = await executor.callAsync(FlakyUpstream, { id: 4 }, { attempts: 3, backoff: 20 });
    const job = await waitForJob(queue(), receipt.jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toContain('ServiceUnavailableError');
    expect(job.failedReason).toContain('[UpstreamTimeoutError]: upstream timed out for 4');
    expect(await calls()).toHaveLength(3);
  });

  it('retries an unrescued exception `attempts` times with backoff', async () => {
    await startWorker();
    const receipt = await executor.callAsync(
      Explode,
      { id: 5 },
      { attempts: 2, backoff: { type: 'exponential', delay: 50 } },
    );
    const job = await waitForJob(queue(), receipt.jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toBe('cannot read property of undefined (5)');
    const recorded = await calls();
    expect(recorded).toHaveLength(2);
    expect(recorded[1].at - recorded[0].at).toBeGreaterThanOrEqual(45);
  });

  it('runs higher priorities first', async () => {
    const receipts = [];
    for (const priority of [1, 10, 5, 100]) receipts.push(await executor.callAsync(Echo, { priority }, { priority }));
    await startWorker({ SERVUS_CONCURRENCY: '1' });
    for (const receipt of receipts) await waitForJob(queue(), receipt.jobId);
    expect((await calls()).map((call) => (call.args as { priority: number }).priority)).toEqual([100, 10, 5, 1]);
  });

  it('delays a job by `wait` (a duration string) and `waitUntil`', async () => {
    await startWorker();
    const enqueuedAt = Date.now();
    const waited = await executor.callAsync(Echo, { which: 'wait' }, { wait: '1s' });
    const until = await executor.callAsync(Echo, { which: 'until' }, { waitUntil: new Date(Date.now() + 1500) });
    expect(await (await queue().getJob(waited.jobId))!.getState()).toBe('delayed');
    await waitForJob(queue(), waited.jobId);
    await waitForJob(queue(), until.jobId);
    const recorded = await calls();
    const at = (which: string) => recorded.find((call) => (call.args as { which: string }).which === which)!.at;
    expect(at('wait') - enqueuedAt).toBeGreaterThanOrEqual(1000);
    expect(at('until') - enqueuedAt).toBeGreaterThanOrEqual(1450);
  });

  it('uses the queue named by the call, and refuses one the module does not declare', async () => {
    await startWorker({ SERVUS_WORKER_QUEUES: 'critical' });
    const receipt = await executor.callAsync(Echo, { urgent: true }, { queue: 'critical' });
    expect(receipt.queue).toBe('critical');
    await waitForJob(queue('critical'), receipt.jobId);
    await expect(executor.callAsync(Echo, {}, { queue: 'elsewhere' })).rejects.toThrow(
      new JobEnqueueError('fixtures.echo', 'queue "elsewhere" is not one of the module\'s queues (default, critical)'),
    );
  });

  it('enqueues a job id once (idempotency)', async () => {
    const first = await executor.callAsync(Echo, { n: 1 }, { jobId: `order-42` });
    const second = await executor.callAsync(Echo, { n: 2 }, { jobId: `order-42` });
    expect(second.jobId).toBe(first.jobId);
    expect(second).toEqual(first);
    expect(first.jobId).toBe('order-42');
    expect(await queue().count()).toBe(1);
    // The first caller's arguments are kept; the second call changed nothing.
    expect((await queue().getJob(first.jobId))!.data.args).toEqual({ n: 1 });
  });

  it('an idempotencyKey still holds after its job completed (within its TTL); jobId does too while the job is kept', async () => {
    await startWorker();
    const first = await executor.callAsync(Echo, { n: 1 }, { idempotencyKey: 'pay-1' });
    await waitForJob(queue(), first.jobId);
    const again = await executor.callAsync(Echo, { n: 1 }, { idempotencyKey: 'pay-1' });
    expect(again.jobId).toBe(first.jobId);
    expect(again).toEqual(first);
    await expect(executor.callAsync(Echo, { n: 2 }, { idempotencyKey: 'pay-1' })).rejects.toThrow(
      /idempotencyKey "pay-1" was already used with different arguments/,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await calls()).toHaveLength(1);
    expect((await calls())[0].args).toEqual({ n: 1 });

    // jobId: the completed job is still kept (removeOnComplete keeps it), so the same id enqueues nothing.
    const named = await executor.callAsync(Echo, { n: 3 }, { jobId: 'pay-2' });
    const done = await waitForJob(queue(), named.jobId);
    expect(await done.getState()).toBe('completed');
    const namedAgain = await executor.callAsync(Echo, { n: 4 }, { jobId: 'pay-2' });
    expect(namedAgain).toEqual(named);
    expect(await (await queue().getJob('pay-2'))!.getState()).toBe('completed');

    await new Promise((resolve) => setTimeout(resolve, 300));
    // One run per key, each with its first caller's arguments.
    expect((await calls()).map((call) => call.args)).toEqual([{ n: 1 }, { n: 3 }]);
    expect((await queue().getJob(first.jobId))!.returnvalue).toEqual({ success: true, data: { n: 1 } });
    expect((await queue().getJob('pay-2'))!.returnvalue).toEqual({ success: true, data: { n: 3 } });
  });

  it('fails a job naming an unregistered service at once, and keeps processing', async () => {
    const worker = await startWorker();
    const raw = queue();
    const poison = await raw.add(
      'child_process',
      { service: 'child_process', args: {}, metadata: {} },
      { attempts: 5 },
    );
    const undecodable = await raw.add('x', 'not an object', { attempts: 5 });
    const valid = await executor.callAsync(Echo, { after: 'poison' });

    const failed = await waitForJob(raw, poison.id!);
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toBe(
      'Unknown service "child_process": no @Service() is registered under that name in this worker',
    );
    const bad = await waitForJob(raw, undecodable.id!);
    expect(bad.failedReason).toMatch(/^Undecodable job payload: expected an object/);
    expect(bad.attemptsMade).toBe(1);
    expect((await waitForJob(raw, valid.jobId)).returnvalue).toEqual({ success: true, data: { after: 'poison' } });
    expect(worker.output).toContain('failed without retry');
  });

  it('status() and result() report each outcome as a ServiceResponse', async () => {
    const pending = await executor.callAsync(Echo, { id: 1 });
    const waiting = await executor.status(pending);
    expect(waiting).toMatchObject({
      state: 'waiting',
      attemptsMade: 0,
      timestamps: { enqueuedAt: expect.any(Number) },
    });
    expect(waiting!.response).toBeUndefined();
    await expect(executor.result(pending, { timeoutMs: 300 })).rejects.toThrow(
      new AsyncError(`Job ${pending.jobId} (fixtures.echo) did not finish within 300ms`),
    );

    await startWorker();
    const ok = await executor.result(pending, { timeoutMs: 10_000 });
    expect(ok.success && ok.data).toEqual({ id: 1 });
    expect(await executor.status(pending)).toMatchObject({
      state: 'completed',
      attemptsMade: 1,
      response: { success: true, data: { id: 1 } },
    });
    // A bare job id means the default queue.
    expect(await executor.status(pending.jobId)).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(await executor.result(pending.jobId)).toBeSuccess({ id: 1 });

    const notFound = await executor.result(await executor.callAsync(AlwaysNotFound, { id: 2 }), { timeoutMs: 10_000 });
    expect(notFound.success).toBe(false);
    expect(notFound.error).toBeInstanceOf(NotFoundError);
    expect(notFound.error!.message).toBe('No record 2');

    const flaky = await executor.callAsync(FlakyUpstream, { id: 3 }, { attempts: 2, backoff: 10 });
    const unavailable = await executor.result(flaky, { timeoutMs: 10_000 });
    expect(unavailable.error).toBeInstanceOf(ServiceUnavailableError);
    expect(unavailable.error!.message).toBe('[UpstreamTimeoutError]: upstream timed out for 3');
    expect(await executor.status(flaky)).toMatchObject({
      state: 'failed',
      attemptsMade: 2,
      response: { success: false },
    });

    const exploded = await executor.result(await executor.callAsync(Explode, { id: 4 }, { attempts: 1 }), {
      timeoutMs: 10_000,
    });
    expect(exploded.error).toBeInstanceOf(InternalServerError);
    // Plain words and the job's correlation id: the exception's own text stays in the worker's log.
    expect(exploded.error!.message).toMatch(/^The job failed after 1 attempt\(s\) \(correlation id [0-9a-f-]{36}\)$/);
    expect(exploded.error!.apiError().message).not.toContain('cannot read property');

    expect(await executor.status({ jobId: 'missing', queue: 'default', service: 'fixtures.echo' })).toBeUndefined();
    await expect(executor.result({ jobId: 'missing', queue: 'default', service: 'fixtures.echo' })).rejects.toThrow(
      AsyncError,
    );
  });

  it('validates arguments before enqueueing (nothing reaches Redis) and again in the worker (a tampered job fails at once)', async () => {
    await expect(executor.callAsync(Validated, { userId: 0, kind: 'yearly' as never })).rejects.toThrow(
      new ValidationError(
        'Invalid arguments for fixtures.validated: userId must be >= 1 (minimum); kind must be one of daily, monthly (enum)',
      ),
    );
    expect(await queue().count()).toBe(0);

    await startWorker();
    const raw = queue();
    const tampered = await raw.add(
      'fixtures.validated',
      { service: 'fixtures.validated', args: { userId: 'me', admin: true }, metadata: {} },
      { attempts: 3 },
    );
    const job = await waitForJob(raw, tampered.id!);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(
      'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: kind is required (required); admin is not allowed (additionalProperties); userId must be integer (type)',
    );
    expect(await calls()).toEqual([]);

    const ok = await executor.result(await executor.callAsync(Validated, { userId: 5, kind: 'daily' }), {
      timeoutMs: 10_000,
    });
    expect(ok.success && ok.data).toEqual({ userId: 5, kind: 'daily', format: 'pdf' });
  });

  it('a DTO argument crosses the queue as JSON and arrives as the DTO, its Date a Date', async () => {
    await startWorker();
    const args = Object.assign(new ScheduleArgs(), { id: 1, at: new Date('2026-12-24T18:00:00.000Z') });
    const receipt = await executor.callAsync(Schedule, args);
    expect((await queue().getJob(receipt.jobId))!.data.args).toEqual({ id: 1, at: '2026-12-24T18:00:00.000Z' });
    const response = await executor.result(receipt, { timeoutMs: 10_000 });
    expect(response.success && response.data).toEqual({ isDate: true, isDto: true, iso: '2026-12-24T18:00:00.000Z' });
  });

  it('an event handler invokes a service async: the worker runs it with the mapped arguments', async () => {
    await startWorker();
    const response = await executor.call(SignUp, { email: 'ada@example.com' });
    expect(response.success).toBe(true);
    await eventually(async () => (await calls()).length === 1, 10_000, 'the invoked service ran');
    const [call] = await calls();
    expect(call).toMatchObject({ service: 'fixtures.echo', args: { welcome: 'ada@example.com', userId: 42 } });
    expect(call.pid).not.toBe(process.pid);

    const report = await api.get(ServusEvents).emit('fixtures.signed-up', { id: 7, email: 'direct@example.com' });
    expect(report.outcomes).toEqual([
      {
        invocation: 'SignedUpHandler.welcome',
        service: 'fixtures.echo',
        status: 'enqueued',
        receipt: { jobId: expect.any(String), queue: 'critical', service: 'fixtures.echo' },
      },
    ]);
    const done = await executor.result(report.outcomes[0].receipt!, { timeoutMs: 10_000 });
    expect(done.success && done.data).toEqual({ welcome: 'direct@example.com', userId: 7 });
  });

  it('cancel(): a waiting job is removed; a running one gets its signal aborted and ends cancelled, not retried', async () => {
    const waiting = await executor.callAsync(Echo, { n: 1 });
    expect(await executor.cancel(waiting)).toBe('removed');
    expect(await executor.status(waiting)).toBeUndefined();

    await startWorker();
    const running = await executor.callAsync(Cancellable, { id: 1, ms: 10_000 }, { attempts: 3 });
    await eventually(async () => (await calls()).some((call) => call.phase === 'start'), 10_000, 'cancellable started');
    expect(await executor.cancel(running)).toBe('cancelling');
    await eventually(async () => (await executor.status(running))?.state === 'cancelled', 5_000, 'job cancelled');
    const status = await executor.status(running);
    expect(status).toMatchObject({
      state: 'cancelled',
      attemptsMade: 1,
      failedReason: 'Cancelled: cancelled by executor.cancel()',
    });
    const end = (await calls()).find((call) => call.phase === 'end')!;
    expect(end.args).toMatchObject({ aborted: true });
    expect((end.args as { steps: number }).steps).toBeLessThan(100);
    expect(await executor.cancel(running)).toBe('finished');
    expect(await executor.cancel({ ...running, jobId: 'nope' })).toBe('not-found');
  });

  it("the caller's context (correlation id, carried keys only) reaches the service in the worker and its log lines", async () => {
    const worker = await startWorker();
    const receipt = await ServusContext.run({ correlationId: 'corr-42', tenantId: 't-9', internal: 'stays here' }, () =>
      executor.callAsync(ContextProbe, {}),
    );
    const response = await executor.result(receipt, { timeoutMs: 10_000 });
    expect(response.success && response.data).toEqual({ correlationId: 'corr-42', tenantId: 't-9' });
    await worker.waitFor(
      /fixtures\.context-probe \(job \S+ on default, attempt 1\/3\) \[correlationId=corr-42 tenantId=t-9\] succeeded/,
    );

    const outside = await executor.result(await executor.callAsync(ContextProbe, {}), { timeoutMs: 10_000 });
    expect(outside.success && outside.data).toEqual({ correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("an event that fails after the service ran makes the job retry (EventEmitError), it is not taken as the service's answer", async () => {
    await startWorker();
    const receipt = await executor.callAsync(Announce, { id: 6 }, { attempts: 2, backoff: 10 });
    const job = await waitForJob(queue(), receipt.jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toBe(
      "fixtures.announce ran, but its 'success' events failed: TypeError: cannot read property of undefined (6)",
    );
  });

  it('SIGTERM lets the job in flight finish, takes no new job, and exits 0', async () => {
    const worker = await startWorker({ SERVUS_CONCURRENCY: '1' });
    const inFlight = await executor.callAsync(Slow, { id: 1, ms: 1500 });
    await eventually(async () => (await calls()).some((call) => call.phase === 'start'), 10_000, 'slow job started');
    const exit = worker.stop('SIGTERM');
    const queuedAfter = await executor.callAsync(Slow, { id: 2, ms: 10 });
    expect(await exit).toEqual({ code: 0, signal: null });

    const job = await queue().getJob(inFlight.jobId);
    expect(await job!.getState()).toBe('completed');
    expect(await (await queue().getJob(queuedAfter.jobId))!.getState()).toBe('waiting');
    expect((await calls()).map((call) => `${(call.args as { id: number }).id}:${call.phase}`)).toEqual([
      '1:start',
      '1:end',
    ]);
  });

  it('SIGKILL mid-job: the job is recovered as stalled and completes on another worker (at least once)', async () => {
    const stallEnv = { SERVUS_LOCK_DURATION_MS: '1500', SERVUS_STALLED_INTERVAL_MS: '1000' };
    const first = await startWorker(stallEnv);
    const receipt = await executor.callAsync(Slow, { id: 9, ms: 1000 });
    await eventually(async () => (await calls()).length > 0, 10_000, 'slow job started');
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await startWorker(stallEnv);
    const job = await waitForJob(queue(), receipt.jobId, ['completed', 'failed'], 20_000);
    expect(await job.getState()).toBe('completed');
    const recorded = await calls();
    expect(recorded.filter((call) => call.phase === 'start').map((call) => call.pid)).toEqual([
      first.child.pid,
      second.child.pid,
    ]);
    expect(recorded.filter((call) => call.phase === 'end').map((call) => call.pid)).toEqual([second.child.pid]);
  });
});
