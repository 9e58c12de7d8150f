import { Job, Queue } from 'bullmq';
import { JobEnqueueError, ServusExecutor } from 'nestjs-servus';
import { Echo } from '../e2e/fixtures/fixture-services';
import { AppProcess } from '../support/app-process';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { eventually, waitForJob } from '../support/redis-test-kit';

/**
 * Fault: payloads too big or too deep. callAsync refuses them before Redis sees them; the
 * worker fails the ones written by others (a raw BullMQ Queue, raw Redis) at once, without
 * retry, without logging or walking them, and carries on.
 */
describe('faults: payload size and depth limits', () => {
  let harness: FaultHarness;
  let queue: Queue;
  let worker: AppProcess;
  let executor: ServusExecutor;
  const metadata = { v: 1 };
  const attempts = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };

  beforeAll(async () => {
    harness = new FaultHarness('payload-limits');
    ({ executor } = await harness.api());
    queue = harness.queue();
    // A 400 MB heap: parsing the 20 MB text of `[{},...]` below would take about 640 MB.
    worker = await harness.startWorker({
      SERVUS_CONCURRENCY: '1',
      SERVUS_LOCK_DURATION_MS: '2000',
      NODE_OPTIONS: '--max-old-space-size=400',
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  const settled = async (job: Job | string) => {
    const done = await waitForJob(queue, typeof job === 'string' ? job : job.id!, ['completed', 'failed'], 30_000);
    return { state: await done.getState(), attemptsMade: done.attemptsMade, failedReason: done.failedReason };
  };

  /**
   * A delayed job of `service` whose stored `field` (and `more` fields) is then replaced in Redis, then promoted: a
   * text no client would write.
   */
  const storedFieldJob = async (
    field: string,
    text: string,
    service = 'fixtures.echo',
    more: Record<string, string> = {},
  ) => {
    const job = await queue.add(service, { service, args: { id: 1, field }, metadata }, { ...attempts, delay: 60_000 });
    await harness.redis.hset(queue.toKey(job.id!), { [field]: text, ...more });
    await job.promote();
    return job.id!;
  };
  const rawJob = (text: string) => storedFieldJob('data', text);

  /** After the refused jobs, a plain one still runs; the summary of what became of them. */
  const nextJobCompletes = async (summary: string, jobs: string, outcomes: Record<string, unknown>) => {
    const next = await settled(
      await queue.add('fixtures.echo', { service: 'fixtures.echo', args: { after: summary }, metadata }),
    );
    faultSummary(summary, jobs, { ...outcomes, nextJob: next.state });
    expect(next.state).toBe('completed');
  };
  /** Polled by state and read raw: a client's getJob would parse the data text itself. */
  const settledRaw = async (id: string, timeoutMs = 20_000) => {
    const started = Date.now();
    let state = await queue.getJobState(id);
    while (state !== 'completed' && state !== 'failed' && Date.now() - started < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await queue.getJobState(id);
    }
    const [attemptsMade, failedReason] = await harness.redis.hmget(queue.toKey(id), 'atm', 'failedReason');
    return { state, attemptsMade: Number(attemptsMade), failedReason };
  };
  /**
   * Each case's job (its stored `field` replaced by `text`, and `more` fields), on a service that succeeds and on one
   * that throws, fails in one attempt with `reason`, before its service runs; what became of each, by case.
   */
  const eachFailsOnce = async (cases: Array<[string, string, string | RegExp, Record<string, string>?]>) => {
    const outcomes: Record<string, unknown> = {};
    for (const [field, text, reason, more] of cases)
      for (const service of ['fixtures.echo', 'fixtures.explode']) {
        const outcome = await settledRaw(await storedFieldJob(field, text, service, more), 10_000);
        outcomes[`${service} with ${field} ${JSON.stringify(text)}`] = outcome.state;
        expect({ field, text, service, ...outcome }).toEqual({
          field,
          text,
          service,
          state: 'failed',
          attemptsMade: 1,
          failedReason: typeof reason === 'string' ? reason : expect.stringMatching(reason),
        });
      }
    return outcomes;
  };

  it('refuses at enqueue arguments over 512 KiB of JSON or nested deeper than 64, naming size and limit', async () => {
    const big = { blob: 'x'.repeat(600 * 1024) };
    const tooBig = await executor.callAsync(Echo, big).catch((error: Error) => error);
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100; i++) deep = { deep };
    const tooDeep = await executor.callAsync(Echo, deep).catch((error: Error) => error);
    let veryDeep: unknown = 1;
    for (let i = 0; i < 200_000; i++) veryDeep = [veryDeep];
    const wayTooDeep = await executor.callAsync(Echo, { veryDeep } as never).catch((error: Error) => error);
    faultSummary('payloads over the limits at enqueue', 'callAsync with 600 KiB, 101-deep and 200,000-deep args', {
      big: (tooBig as Error).message,
      deep: (tooDeep as Error).message,
      veryDeep: (wayTooDeep as Error).message,
    });
    expect(tooBig).toBeInstanceOf(JobEnqueueError);
    expect((tooBig as Error).message).toMatch(
      /^Could not enqueue fixtures\.echo: the job's payload is at least 6\d{5} bytes of JSON, over the limit of 524288 bytes \(limits\.maxPayloadBytes\)$/,
    );
    expect(tooDeep).toBeInstanceOf(JobEnqueueError);
    expect((tooDeep as Error).message).toBe(
      'Could not enqueue fixtures.echo: args is nested deeper than 64 levels (limits.maxDepth)',
    );
    expect((wayTooDeep as Error).message).toBe(
      'Could not enqueue fixtures.echo: args is nested deeper than 64 levels (limits.maxDepth)',
    );
  });

  it('fails a 200,000-deep payload written into Redis at once, without retry, and keeps working', async () => {
    // No client can serialise it (JSON.stringify overflows), so it goes in as raw JSON text.
    const depth = 200_000;
    const job = await queue.add(
      'fixtures.echo',
      { service: 'fixtures.echo', args: 0, metadata },
      { ...attempts, delay: 60_000 },
    );
    const args = '['.repeat(depth) + '1' + ']'.repeat(depth);
    await harness.redis.hset(
      queue.toKey(job.id!),
      'data',
      `{"service":"fixtures.echo","args":${args},"metadata":{"v":1}}`,
    );
    const started = performance.now();
    await job.promote();
    const outcome = await settled(job);
    const next = await settled(
      await queue.add('fixtures.echo', { service: 'fixtures.echo', args: { after: 1 }, metadata }),
    );
    faultSummary(
      '200,000-deep payload from raw Redis',
      `job ${job.id} with args nested ${depth} deep, 3 attempts allowed`,
      {
        ...outcome,
        nextJob: next.state,
        ms: since(started),
        workerOverflowed: /Maximum call stack/.test(worker.output),
      },
    );
    expect(outcome).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason: 'Undecodable job payload: args is nested deeper than 64 levels (limits.maxDepth)',
    });
    expect(next.state).toBe('completed');
    expect(worker.output).not.toMatch(/Maximum call stack/);
  }, 60_000);

  it('fails a 20 MB argument added by a raw BullMQ Queue at once: one run, no retry, no 20 MB log line', async () => {
    const job = await queue.add(
      'fixtures.echo',
      { service: 'fixtures.echo', args: { blob: 'y'.repeat(20 * 1024 * 1024) }, metadata },
      attempts,
    );
    const started = performance.now();
    const outcome = await settled(job);
    const ms = since(started);
    const runs = (await harness.calls()).filter((call) => typeof (call.args as { blob?: unknown }).blob === 'string');
    faultSummary('20 MB argument from a raw Queue', `job ${job.id} with a 20 MiB string, 3 attempts allowed`, {
      ...outcome,
      runs: runs.length,
      ms,
      longestWorkerLogLine: Math.max(...worker.output.split('\n').map((line) => line.length)),
    });
    expect(outcome.state).toBe('failed');
    expect(outcome.attemptsMade).toBe(1);
    expect(outcome.failedReason).toMatch(
      /^Undecodable job payload: the job's payload is at least 2\d{7} bytes of JSON, over the limit of 524288 bytes \(limits\.maxPayloadBytes\)$/,
    );
    expect(runs).toHaveLength(0);
    expect(Math.max(...worker.output.split('\n').map((line) => line.length))).toBeLessThan(10_000);
  }, 60_000);

  it('counts the UTF-8 bytes of a stored text near the limit: one byte over fails at once, the limit itself runs', async () => {
    // 'é' is one UTF-16 unit and 2 bytes: the texts are under 524288 characters, their bytes at or just over it.
    const over = { service: 'fixtures.echo', args: { blob: 'é'.repeat(262_111) + 'xx' }, metadata };
    const fits = { service: 'fixtures.echo', args: { blob: 'é'.repeat(262_111) + 'x' }, metadata };
    const [overBytes, fitsBytes] = [over, fits].map((data) => Buffer.byteLength(JSON.stringify(data)));
    const overJob = await queue.add('fixtures.echo', over, attempts);
    const fitsJob = await queue.add('fixtures.echo', fits, attempts);
    const [overOutcome, fitsOutcome] = [await settled(overJob), await settled(fitsJob)];
    faultSummary('multi-byte payloads at the limit from a raw Queue', `jobs of ${overBytes} and ${fitsBytes} bytes`, {
      over: overOutcome,
      fits: fitsOutcome.state,
    });
    expect([overBytes, fitsBytes]).toEqual([524_289, 524_288]);
    expect(overOutcome).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason:
        "Undecodable job payload: the job's payload is 524289 bytes of JSON, over the limit of 524288 bytes (limits.maxPayloadBytes)",
    });
    expect(fitsOutcome.state).toBe('completed');
  }, 60_000);

  it('measures the text as stored in Redis, escapes included, not the data serialised again', async () => {
    // 100,000 'é' written as \u00e9 escapes: 600,000 characters in Redis, 200,000 bytes once serialised again.
    const job = await queue.add(
      'fixtures.echo',
      { service: 'fixtures.echo', args: 0, metadata },
      { ...attempts, delay: 60_000 },
    );
    const text = `{"service":"fixtures.echo","args":{"blob":"${'\\u00e9'.repeat(100_000)}"},"metadata":{"v":1}}`;
    await harness.redis.hset(queue.toKey(job.id!), 'data', text);
    await job.promote();
    const outcome = await settled(job);
    faultSummary('escaped payload from raw Redis', `job ${job.id} with a ${text.length}-character text`, outcome);
    expect(outcome).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason: `Undecodable job payload: the job's payload is at least ${text.length} bytes of JSON, over the limit of 524288 bytes (limits.maxPayloadBytes)`,
    });
  }, 60_000);

  it('fails a job whose stored data is not JSON at once, saying where without quoting it, and keeps working', async () => {
    const valid = '{"service":"fixtures.echo","args":{"password":"hunter2"},"metadata":{"v":1}}';
    const cases: Array<[string, string, string]> = [
      ['a word', 'not json at all', 'an unexpected character'],
      ['a byte order mark before valid JSON', `\ufeff${valid}`, 'it starts with a byte order mark'],
      ['a forged log line after valid JSON', `${valid}\n[Nest] 1 FORGED`, `invalid at position ${valid.length + 1}`],
      // V8's own message quotes the text around the error: here the password.
      ['an unquoted secret', valid.replace('"hunter2"', 'hunter2'), 'an unexpected character'],
    ];
    const outcomes: Record<string, unknown> = {};
    for (const [what, text, where] of cases) {
      const id = await rawJob(text);
      const outcome = await settledRaw(id);
      outcomes[what] = outcome;
      expect(outcome).toEqual({
        state: 'failed',
        attemptsMade: 1,
        failedReason: `Undecodable job payload: the job's data is not JSON (${where})`,
      });
      // The worker's failed event (it follows the move): logged and counted as dead, not lost to stall recovery.
      await eventually(
        async () => worker.output.includes(`Job ${id} on default failed for good after 1 attempt(s)`),
        5000,
        `the failed event of job ${id}`,
      );
    }
    const next = await settled(
      await queue.add('fixtures.echo', { service: 'fixtures.echo', args: { after: 'not json' }, metadata }),
    );
    faultSummary('data that is not JSON, from raw Redis', `${cases.length} jobs, 3 attempts allowed`, {
      ...outcomes,
      nextJob: next.state,
    });
    expect(next.state).toBe('completed');
    expect(worker.output).not.toContain('hunter2');
    expect(worker.output.split('\n').some((line) => line.startsWith('[Nest] 1 FORGED'))).toBe(false);
  }, 120_000);

  it('fails a job whose stored opts, progress or parent is not JSON at once, fetched idle or after a job', async () => {
    // BullMQ parses these three fields while fetching, before any hook: unhandled, the job stays active and
    // comes back after every lock expiry, forever.
    const cases: Array<[string, string]> = [
      ['opts', '{"attempts":3,secret:hunter2'],
      ['progress', 'hunter2'],
      ['parent', '{"id":"1","queueKey":hunter2'],
    ];
    const outcomes: Record<string, unknown> = {};
    for (const [field, text] of cases) {
      // Idle worker: the job comes with the worker's own fetch.
      const idle = await settledRaw(await storedFieldJob(field, text), 10_000);
      // Busy worker: the job comes with the completion (or failure) of the job before it, BullMQ's fetch-next. The
      // queue is paused while both are added, so that the worker takes them one after the other (concurrency 1).
      const after = async (service: string, args: object) => {
        await queue.pause();
        const before = await queue.add(service, { service, args, metadata });
        const broken = await storedFieldJob(field, text);
        await queue.resume();
        return { id: before.id!, before: await settled(before), broken: await settledRaw(broken, 10_000) };
      };
      const completed = await after('fixtures.echo', { before: field });
      expect(completed.before.state).toBe('completed');
      const failed = await after('fixtures.explode', { id: 1 });
      // The job before: failed for good (one attempt), and seen so by the worker's failed event, not as retried.
      expect(failed.before).toMatchObject({ state: 'failed', attemptsMade: 1 });
      await eventually(
        async () => worker.output.includes(`Job ${failed.id} on default failed for good after 1 attempt(s)`),
        5000,
        'the failed event of the job before',
      );
      const [afterAJob, afterAFailedJob] = [completed.broken, failed.broken];
      outcomes[field] = { idle, afterAJob, afterAFailedJob };
      for (const outcome of [idle, afterAJob, afterAFailedJob])
        expect(outcome).toEqual({
          state: 'failed',
          attemptsMade: 1,
          failedReason: `Undecodable job payload: the job's stored ${field} is not JSON that BullMQ can read`,
        });
    }
    await nextJobCompletes(
      'opts, progress or parent that is not JSON, from raw Redis',
      `${cases.length * 3} jobs`,
      outcomes,
    );
    expect(worker.output).not.toContain('hunter2');
  }, 120_000);

  it("fails a job whose stored parent, parentKey or counter BullMQ's scripts cannot use at once, without running it", async () => {
    // Unhandled, BullMQ's scripts stop midway: a number, true or '' as parent, or a parentKey without ':', leaves the
    // job active without its lock (it runs again after each stall); a string or an object without queueKey as parent
    // leaves it in no list at all.
    const unusableParent = 'parent is not one BullMQ can use (an object with a string queueKey and an id)';
    const unusableKey = 'parentKey is not a job key BullMQ can use (no ":" before its id)';
    const cases: Array<[string, string, string]> = [
      ...['5', 'true', '', '"x"', '{"id":"1"}'].map((text): [string, string, string] => [
        'parent',
        text,
        unusableParent,
      ]),
      ['parentKey', 'nocolon', unusableKey],
      // BullMQ's scripts HINCRBY these: on a text, moveToActive stops after locking the job, moveToFinished after
      // taking it off the active list, the stall check after taking it off that list.
      ...[
        ['atm', 'x'],
        ['ats', 'x'],
        ['stc', 'x'],
        ['atm', '007'],
        ['ats', '-0'],
      ].map(([field, text]): [string, string, string] => [
        field,
        text,
        `${field} is not a count BullMQ can use (an integer)`,
      ]),
    ];
    const outcomes = await eachFailsOnce(
      cases.map(([field, text, reason]) => [field, text, `Undecodable job payload: the job's stored ${reason}`]),
    );
    await nextJobCompletes(
      'a parent, parentKey or counter BullMQ cannot use, from raw Redis',
      `${cases.length * 2} jobs`,
      outcomes,
    );
    // Refused before the service: neither ran.
    expect(worker.output).not.toMatch(
      /fixtures\.(echo|explode) \(job \d+ on default, attempt 1\/3\) called with \{"id":1,"field"/,
    );
  }, 120_000);

  it('fails a job whose repeatJobKey BullMQ cannot schedule from its own options at once, without running it', async () => {
    // BullMQ schedules a job's next iteration as it hands the job over; when that throws (no `repeat` in its opts, a
    // pattern it cannot parse) it drops the job, active under the worker's lock: stalled, back, dropped, forever.
    const why = (problem: string) =>
      `Undecodable job payload: the job's stored opts ${problem}, so BullMQ cannot schedule its next iteration`;
    const cases: Array<[string, string, string | RegExp, Record<string, string>]> = [
      ['rjk', 'no-such-schedule', why('has no repeat options'), {}],
      [
        'opts',
        '{"attempts":3,"repeat":{"pattern":"not a cron"}}',
        /^Undecodable job payload: the job's stored opts has a pattern, time zone or start date BullMQ cannot read \(.+\), so BullMQ cannot schedule its next iteration$/,
        { rjk: 'a-schedule' },
      ],
      [
        'opts',
        '{"attempts":3,"repeat":{"every":5,"pattern":"* * * * *"}}',
        why('has both a pattern and every'),
        { rjk: 'a-schedule' },
      ],
      [
        'opts',
        '{"attempts":3,"repeat":{"every":1000},"telemetry":null}',
        why('has a telemetry of null'),
        { rjk: 'a-schedule' },
      ],
      // Opts that are not JSON are reset as the job is fetched: the reason stays that one.
      [
        'opts',
        '{"attempts":3,',
        "Undecodable job payload: the job's stored opts is not JSON that BullMQ can read",
        { rjk: 'a-schedule' },
      ],
    ];
    const outcomes = await eachFailsOnce(cases);
    await nextJobCompletes(
      'a repeatJobKey BullMQ cannot schedule, from raw Redis',
      `${cases.length * 2} jobs`,
      outcomes,
    );
    // BullMQ's own error is in the worker's log too.
    expect(worker.output).toMatch(/Worker default: Failed to add repeatable job for next iteration: /);
    expect(worker.output).not.toMatch(
      /fixtures\.(echo|explode) \(job \d+ on default, attempt 1\/3\) called with \{"id":1,"field":"(rjk|opts)"/,
    );
  }, 90_000);

  it('refuses a 20 MB opts text of empty objects by its length before BullMQ parses it: the worker stays up', async () => {
    const count = Math.floor((20 * 1024 * 1024) / 3);
    const text = `{"attempts":3,"x":[${'{},'.repeat(count - 1)}{}]}`;
    const job = await queue.add(
      'fixtures.echo',
      { service: 'fixtures.echo', args: { opts: 'huge' }, metadata },
      {
        delay: 60_000,
      },
    );
    await harness.redis.hset(queue.toKey(job.id!), 'opts', text);
    await job.promote();
    const outcome = await settledRaw(job.id!, 30_000);
    const alive = worker.child.exitCode === null && worker.child.signalCode === null;
    const storedOpts = String(await harness.redis.hget(queue.toKey(job.id!), 'opts'));
    faultSummary("20 MB of [{},...] as a job's opts, from raw Redis", `a ${text.length}-character opts text`, {
      ...outcome,
      alive,
      storedOpts: storedOpts.length > 100 ? `${storedOpts.length} characters` : storedOpts,
    });
    expect(outcome).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason: `Undecodable job payload: the job's stored opts is at least ${text.length} bytes, over the limit of 524288 bytes (limits.maxPayloadBytes)`,
    });
    expect(alive).toBe(true);
    expect(storedOpts).toBe('{"attempts":1}');
    const next = await settled(
      await queue.add('fixtures.echo', { service: 'fixtures.echo', args: { after: 'huge opts' }, metadata }),
    );
    expect(next.state).toBe('completed');
  }, 90_000);

  it('refuses a 20 MB text of empty objects by its length without parsing it: the 400 MB worker stays up', async () => {
    const count = Math.floor((20 * 1024 * 1024) / 3);
    const text = `{"service":"fixtures.echo","args":[${'{},'.repeat(count - 1)}{}],"metadata":{"v":1}}`;
    const started = performance.now();
    const outcome = await settledRaw(await rawJob(text), 30_000);
    const ms = since(started);
    const alive = worker.child.exitCode === null && worker.child.signalCode === null;
    faultSummary('20 MB of [{},...] from raw Redis', `a ${text.length}-character text, worker heap 400 MB`, {
      ...outcome,
      ms,
      alive,
    });
    expect(outcome).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason: `Undecodable job payload: the job's payload is at least ${text.length} bytes of JSON, over the limit of 524288 bytes (limits.maxPayloadBytes)`,
    });
    expect(alive).toBe(true);
    const next = await settled(
      await queue.add('fixtures.echo', { service: 'fixtures.echo', args: { after: 'empty objects' }, metadata }),
    );
    expect(next.state).toBe('completed');
  }, 90_000);
});
