import { Job, Queue } from 'bullmq';
import { join } from 'node:path';
import { ServusExecutor } from 'nestjs-servus';
import { AppProcess, ROOT } from '../support/app-process';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { waitForJob } from '../support/redis-test-kit';

/**
 * Fault: jobs written straight into Redis with a raw BullMQ Queue (an old producer, another
 * language, a tampered or malicious payload) on the prefix and queue the worker consumes.
 * Each bad job must fail at once (one attempt, though it has 5) with a reason naming the
 * cause; nothing but a registered service can run; the prototype of no process is
 * polluted; the worker carries on with the next valid job.
 */
describe('faults: poison payloads written straight into Redis', () => {
  let harness: FaultHarness;
  let queue: Queue;
  let worker: AppProcess;
  let executor: ServusExecutor;
  const attempts = { attempts: 5, backoff: { type: 'fixed', delay: 10 } };
  const metadata = { v: 1 };

  beforeAll(async () => {
    harness = new FaultHarness('poison');
    ({ executor } = await harness.api());
    queue = harness.queue();
    // One job at a time: the valid job and the probe run after the poison, in order.
    worker = await harness.startWorker({ SERVUS_CONCURRENCY: '1' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  // Named after the payload's service, as Servus names its jobs (a job whose name differs is refused for that alone).
  const nameOf = (data: unknown) => {
    const service = (data as { service?: unknown } | null)?.service;
    return typeof service === 'string' && service ? service.slice(0, 100) : 'poison';
  };
  const add = (data: unknown, name = nameOf(data)) => queue.add(name, data, attempts);
  const settled = async (job: Job) => {
    const done = await waitForJob(queue, job.id!, ['completed', 'failed'], 20_000);
    return {
      state: await done.getState(),
      attemptsMade: done.attemptsMade,
      failedReason: done.failedReason,
      returnvalue: done.returnvalue,
      id: done.id!,
    };
  };
  const unknown = (name: string) =>
    `Unknown service ${JSON.stringify(name.slice(0, 200))}: no @Service() is registered under that name in this worker`;

  it('fails each malformed or invalid job at once with a reason naming the cause, and keeps processing', async () => {
    const started = performance.now();
    const cases: Array<[string, unknown, string]> = [
      ['unknown service name', { service: 'fixtures.nope', args: {}, metadata }, unknown('fixtures.nope')],
      ['no args', { service: 'fixtures.echo', metadata }, 'Undecodable job payload: no "args" for fixtures.echo'],
      [
        'no service',
        { args: { id: 1 }, metadata },
        'Undecodable job payload: "service" must be a registered service name, got undefined',
      ],
      [
        'service not a string',
        { service: ['fixtures.echo'], args: {}, metadata },
        'Undecodable job payload: "service" must be a registered service name, got an array',
      ],
      [
        'empty service',
        { service: '', args: {}, metadata },
        'Undecodable job payload: "service" must be a registered service name, got ""',
      ],
      [
        'args failing the JSON schema',
        { service: 'fixtures.validated', args: { userId: -1, kind: 'weekly' }, metadata },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: userId must be >= 1 (minimum); kind must be one of daily, monthly (enum)',
      ],
      [
        'args not an object (schema)',
        { service: 'fixtures.validated', args: 'userId=1', metadata },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: value must be object (type)',
      ],
      [
        'args null (schema)',
        { service: 'fixtures.validated', args: null, metadata },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: value must be object (type)',
      ],
      [
        'args failing the DTO',
        { service: 'fixtures.schedule', args: { id: 0, at: 'not a date' }, metadata },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.schedule: id must not be less than 1 (min); at must be a Date instance (isDate)',
      ],
      [
        'args an array (DTO)',
        { service: 'fixtures.schedule', args: [1], metadata },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.schedule: value must be an object (ScheduleArgs) (type)',
      ],
      [
        'data a string',
        'fixtures.echo',
        'Undecodable job payload: expected an object { service, args }, got "fixtures.echo"',
      ],
      [
        'data an array',
        ['fixtures.echo', {}],
        'Undecodable job payload: expected an object { service, args }, got an array',
      ],
      ['data null', null, 'Undecodable job payload: expected an object { service, args }, got null'],
      ['data a number', 42, 'Undecodable job payload: expected an object { service, args }, got number'],
      [
        'service smuggled in through an own "__proto__" key',
        JSON.parse('{"__proto__":{"service":"fixtures.echo","args":{}},"metadata":{}}'),
        'Undecodable job payload: "service" must be a registered service name, got undefined',
      ],
      [
        '"__proto__" in args (schema without additional properties)',
        {
          service: 'fixtures.validated',
          args: JSON.parse('{"userId":1,"kind":"daily","__proto__":{"polluted":true}}'),
          metadata,
        },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: __proto__ is not allowed (additionalProperties)',
      ],
      [
        '"constructor" in args (schema without additional properties)',
        {
          service: 'fixtures.validated',
          args: JSON.parse('{"userId":1,"kind":"daily","constructor":{"prototype":{"polluted":true}}}'),
          metadata,
        },
        'ValidationError (unprocessable_entity): Invalid arguments for fixtures.validated: constructor is not allowed (additionalProperties)',
      ],
    ];
    const jobs: Job[] = [];
    for (const [, data] of cases) jobs.push(await add(data));
    const valid = await executor.callAsync('fixtures.echo', { after: 'poison' });

    const outcomes: Array<Awaited<ReturnType<typeof settled>>> = [];
    for (const job of jobs) outcomes.push(await settled(job));
    const validJob = await waitForJob(queue, valid.jobId);
    faultSummary(
      'poison payloads',
      `${cases.length} malformed/invalid jobs added with a raw bullmq Queue (attempts: 5 each)`,
      {
        failedAtOnce: outcomes.filter((o) => o.state === 'failed' && o.attemptsMade === 1).length,
        of: cases.length,
        attemptsMade: [...new Set(outcomes.map((o) => o.attemptsMade))],
        validJobAfter: await validJob.getState(),
        serviceRunsOfBadJobs: (await harness.calls()).filter(
          (call) => (call.args as { after?: string }).after !== 'poison',
        ).length,
        ms: since(started),
      },
    );

    cases.forEach(([what, , reason], i) => {
      expect({ what, ...outcomes[i] }).toEqual({
        what,
        id: jobs[i].id,
        state: 'failed',
        attemptsMade: 1,
        failedReason: reason,
        returnvalue: null,
      });
    });
    expect(validJob.returnvalue).toEqual({ success: true, data: { after: 'poison' } });
    // Not one bad job reached a service.
    expect((await harness.calls()).map((call) => call.args)).toEqual([{ after: 'poison' }]);
    expect(worker.output).toContain('failed without retry');
    expect(worker.child.exitCode).toBeNull();
  });

  it('runs a 500 KB argument (under the 512 KiB payload limit) to completion, and stays healthy after it', async () => {
    const blob = 'x'.repeat(500 * 1024);
    const started = performance.now();
    const outputBefore = worker.output.length;
    const big = await add({ service: 'fixtures.echo', args: { blob }, metadata });
    const outcome = await settled(big);
    const bigMs = since(started);
    const next = await settled(await add({ service: 'fixtures.echo', args: { after: '1mb' }, metadata }));
    faultSummary('500 KB argument', 'one job whose argument is a 500 KiB string, to fixtures.echo', {
      state: outcome.state,
      attemptsMade: outcome.attemptsMade,
      returnedBytes: (outcome.returnvalue as { data?: { blob?: string } })?.data?.blob?.length,
      ms: bigMs,
      workerLogBytesForIt: worker.output.length - outputBefore,
      nextJob: next.state,
    });
    // A big payload is not an error: it runs once and returns it whole.
    expect(outcome).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect((outcome.returnvalue as { data: { blob: string } }).data.blob).toBe(blob);
    expect(next).toMatchObject({
      state: 'completed',
      attemptsMade: 1,
      returnvalue: { success: true, data: { after: '1mb' } },
    });
  });

  it('"__proto__" and "constructor" keys in args pollute no prototype, in the worker nor here', async () => {
    const proto = JSON.parse(
      '{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}},"list":[{"__proto__":{"polluted":true}}]}',
    );
    const ctor = JSON.parse(
      '{"constructor":{"prototype":{"polluted":true}},"password":"x","__proto__":{"password":"y"}}',
    );
    expect(Object.keys(proto)).toContain('__proto__'); // an own key, as JSON.parse makes it

    const echoProtoJob = await add({ service: 'fixtures.echo', args: proto, metadata });
    const echoProto = await settled(echoProtoJob);
    const echoCtor = await settled(await add({ service: 'fixtures.echo', args: ctor, metadata }));
    const dto = await settled(
      await add({
        service: 'fixtures.schedule',
        args: JSON.parse('{"id":1,"at":"2026-12-24T18:00:00.000Z","__proto__":{"polluted":true}}'),
        metadata,
      }),
    );
    // The job's context (restored around the service in the worker) with prototype keys too.
    const context = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"correlationId":"proto-1"}',
    );
    const probedWith = await settled(
      await add({ service: 'fixtures.prototype-probe', args: proto, metadata: { ...metadata, context } }),
    );
    // Then a probe with clean args: what the worker's own Object.prototype looks like now.
    const probe = await executor.result(await executor.callAsync('fixtures.prototype-probe', {}), {
      timeoutMs: 10_000,
    });
    // Read back here as a ServiceResponse, too.
    const viaResult = await executor.result({ jobId: echoProtoJob.id!, queue: 'default', service: 'fixtures.echo' });

    const inheritedHere: string[] = [];
    for (const key in {}) inheritedHere.push(key);
    faultSummary(
      'prototype keys in args',
      'jobs whose args carry own "__proto__" / "constructor" keys (JSON.parse), to echo, a DTO service and a probe',
      {
        echo: `${echoProto.state}/${echoCtor.state}`,
        dtoService: dto.state,
        workerPolluted: probe.success ? (probe.data as { polluted: unknown }).polluted : 'probe failed',
        testProcessPolluted: ({} as Record<string, unknown>).polluted ?? null,
      },
    );

    expect(echoProto).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(echoCtor).toMatchObject({ state: 'completed', attemptsMade: 1 });
    // The keys travel as data, own keys both ways.
    expect(Object.keys((echoProto.returnvalue as { data: object }).data)).toEqual(['__proto__', 'nested', 'list']);
    expect(viaResult.success && Object.keys(viaResult.data as object)).toEqual(['__proto__', 'nested', 'list']);
    expect(dto).toMatchObject({
      state: 'completed',
      attemptsMade: 1,
      returnvalue: { success: true, data: { isDate: true, isDto: true } },
    });
    expect(probedWith.returnvalue).toEqual({
      success: true,
      data: {
        polluted: null,
        inheritedKeys: [],
        argsOwnKeys: ['__proto__', 'nested', 'list'],
        argsHasObjectPrototype: true,
      },
    });
    expect(probe.success && probe.data).toEqual({
      polluted: null,
      inheritedKeys: [],
      argsOwnKeys: [],
      argsHasObjectPrototype: true,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(inheritedHere).toEqual([]);
  });

  it('runs only registered services: module paths, files, exports, class names and Object.prototype members are unknown services', async () => {
    const names = [
      'ServusExecutor',
      'ServusModule',
      'child_process',
      'node:child_process',
      'fs',
      '../../apps/api/src/main',
      './fixture-services',
      join(ROOT, 'apps/api/src/main.ts'),
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'prototype',
      'Echo', // the class name; it is registered as 'fixtures.echo'
      'FixturesModule',
      'CallRecorder', // a provider, not a service
      'SignedUpHandler', // an event handler, not a service
      'fixtures.echo.call',
      'fixtures.echo ',
      'FIXTURES.ECHO',
      'fixtures',
      'x'.repeat(5000),
    ];
    const callsBefore = (await harness.calls()).length;
    const jobs: Job[] = [];
    for (const service of names) jobs.push(await add({ service, args: {}, metadata }, service.slice(0, 100)));
    const valid = await executor.callAsync('fixtures.echo', { after: 'names' });
    const outcomes: Array<Awaited<ReturnType<typeof settled>>> = [];
    for (const job of jobs) outcomes.push(await settled(job));
    const validJob = await waitForJob(queue, valid.jobId);

    faultSummary(
      'only registered services run',
      `${names.length} jobs naming exports, modules, paths, class names, prototype members`,
      {
        refusedAsUnknown: outcomes.filter(
          (o) => o.state === 'failed' && o.attemptsMade === 1 && o.failedReason.startsWith('Unknown service'),
        ).length,
        of: names.length,
        servicesRun: (await harness.calls()).length - callsBefore - 1,
        validJobAfter: await validJob.getState(),
      },
    );
    names.forEach((service, i) => {
      expect({ service, ...outcomes[i] }).toEqual({
        service,
        id: jobs[i].id,
        state: 'failed',
        attemptsMade: 1,
        failedReason: unknown(service),
        returnvalue: null,
      });
    });
    expect((await harness.calls()).slice(callsBefore).map((call) => call.args)).toEqual([{ after: 'names' }]);
    expect(validJob.returnvalue).toEqual({ success: true, data: { after: 'names' } });
    // Nothing was loaded: one Nest application booted in that process, no HTTP server.
    expect(worker.output.match(/Starting Nest application/g)).toHaveLength(1);
    expect(worker.output).not.toMatch(/Listening on|Nest application successfully started/);
  });

  it('a service name with line breaks cannot forge lines in the worker log', async () => {
    const forged = 'fixtures.echo\n[Nest] 1  - 01/01/2026, 0:00:00 AM     LOG [Servus] FORGED job 1 succeeded';
    const outcome = await settled(await add({ service: forged, args: {}, metadata }));
    expect(outcome).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: unknown(forged) });
    expect(worker.output).toContain('FORGED');
    expect(worker.output.split('\n').some((line) => line.startsWith('[Nest] 1  - 01/01/2026'))).toBe(false);
  });

  it("a job's stored opts.attempts with line breaks cannot forge lines in the worker log", async () => {
    const forged = '5\n[Nest] 2  - 02/02/2026, 0:00:00 AM     LOG [Servus] FORGED attempts';
    // Delayed, so its opts are rewritten before a worker fetches it.
    const job = await queue.add(
      'fixtures.nowhere',
      { service: 'fixtures.nowhere', args: {}, metadata },
      { delay: 400 },
    );
    await harness.redis.hset(queue.toKey(job.id!), 'opts', JSON.stringify({ attempts: forged, delay: 400 }));
    const outcome = await settled(job);
    expect(outcome).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: unknown('fixtures.nowhere') });
    expect(worker.output).toContain('attempt 1/5\\n[Nest] 2  - 02/02/2026'); // escaped, on the job's own line
    expect(worker.output.split('\n').some((line) => line.startsWith('[Nest] 2  - 02/02/2026'))).toBe(false);
  });
});
