import { JobEnqueueError, ServusContext } from 'nestjs-servus';
import { AsyncModuleOptions } from 'nestjs-servus/async/async-options.interface';
import { JobRequestBuilder } from 'nestjs-servus/async/job-request';
import { JobSigner } from 'nestjs-servus/async/job-signer';
import { QueueNames } from 'nestjs-servus/async/queue-names';
import { ExecutionModuleOptions } from 'nestjs-servus/execution/execution-options.interface';
import { GlobalIds } from 'nestjs-servus/globalid/global-ids';
import * as jobOptions from 'nestjs-servus/async/job-options';
import { ServiceDefinition } from 'nestjs-servus/service/service-definition';
import { ServusTracing } from 'nestjs-servus/tracing/servus-tracing';

class Report {
  constructor(readonly id: number) {}
}

type Options = AsyncModuleOptions & ExecutionModuleOptions;

function builder(
  options: Options,
  withGids = false,
  tracing = new ServusTracing({ tracing: false }),
  idOf = (entity: object): string | number => (entity as Report).id,
): JobRequestBuilder {
  const globalIds = new GlobalIds();
  if (withGids)
    globalIds.register({
      types: () => [{ name: 'Report', type: Report }],
      idOf,
      locate: () => Promise.resolve(undefined),
    });
  return new JobRequestBuilder(options, new QueueNames(options), globalIds, tracing, new JobSigner(options));
}

/** A tracing whose active context is always the one trace below. */
const TRACE = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
const traced = { inject: () => ({ ...TRACE }) } as unknown as ServusTracing;

function definition(name: string, async?: ServiceDefinition['options']['async']): ServiceDefinition {
  return { name, options: { name, async } } as ServiceDefinition;
}

describe('JobRequestBuilder', () => {
  const reports = definition('reports.generate');

  it("builds the queue, the payload and the options of a call (the module's default queue)", () => {
    const request = builder({ queues: ['default', 'low'] }).build(reports, { userId: 1 }, { priority: 2 });
    expect(request.queue).toBe('default');
    expect(request.payload).toEqual({ service: 'reports.generate', args: { userId: 1 }, metadata: { v: 1 } });
    expect(request.options).toMatchObject({ attempts: 3, priority: 2_097_152 - 2 });
  });

  it("sends a call to the service's queue, and refuses another queue for it", () => {
    const low = definition('reports.low', { queue: 'low' });
    const b = builder({ queues: ['default', 'low', 'critical'] });
    expect(b.build(low, {}, {}).queue).toBe('low');
    expect(() => b.build(low, {}, { queue: 'critical' })).toThrow(
      'Could not enqueue reports.low: reports.low runs on queue "low" only (its @Service queue), not on "critical"',
    );
    expect(b.build(reports, {}, { queue: 'critical' }).queue).toBe('critical');
  });

  it('refuses a queue the module does not declare, naming the queues', () => {
    expect(() => builder({ queues: ['default', 'low'] }).build(reports, {}, { queue: 'nope' })).toThrow(
      new JobEnqueueError('reports.generate', 'queue "nope" is not one of the module\'s queues (default, low)'),
    );
  });

  it('refuses arguments that do not survive JSON, naming the path', () => {
    expect(() => builder({}).build(reports, { at: new Date(0) }, {})).toThrow(
      'Could not enqueue reports.generate: args.at is a Date: pass an ISO string (toISOString())',
    );
  });

  it('refuses bad options as a JobEnqueueError that keeps the cause', () => {
    let error: unknown;
    try {
      builder({}).build(reports, {}, { attempts: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobEnqueueError);
    expect((error as Error).message).toBe(
      'Could not enqueue reports.generate: attempts must be an integer of at least 1, got 0',
    );
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('merges module, service and call options, the call last', () => {
    const b = builder({ defaultJobOptions: { attempts: 5, removeOnComplete: true } });
    const service = definition('reports.retry', { attempts: 7 });
    expect(b.build(service, {}, {}).options).toMatchObject({ attempts: 7, removeOnComplete: true });
    expect(b.build(service, {}, { attempts: 2 }).options.attempts).toBe(2);
    // The base is computed once per service; a call does not change it for the next one.
    expect(b.build(service, {}, {}).options.attempts).toBe(7);
  });

  it('carries the context only when the module propagates it: the correlation id and the carry keys', () => {
    const values = { correlationId: 'c-1', tenant: 't', secret: 's' };
    const carried = ServusContext.run(values, () => builder({ context: { carry: ['tenant'] } }).build(reports, {}, {}));
    expect(carried.payload.metadata.context).toEqual({ correlationId: 'c-1', tenant: 't' });
    const withoutCarry = ServusContext.run(values, () => builder({ context: {} }).build(reports, {}, {}));
    expect(withoutCarry.payload.metadata.context).toEqual({ correlationId: 'c-1' });
    const off = ServusContext.run(values, () => builder({}).build(reports, {}, {}));
    expect(off.payload.metadata).toEqual({ v: 1 });
  });

  it('refuses a carried context value that does not survive JSON, naming it', () => {
    const run = () =>
      ServusContext.run({ correlationId: 'c', n: NaN }, () =>
        builder({ context: { carry: ['n'] } }).build(reports, {}, {}),
      );
    expect(run).toThrow('Could not enqueue reports.generate: context.n is NaN: JSON has no NaN or Infinity');
  });

  it('turns registered instances into global ids and marks the payload', () => {
    const request = builder({}, true).build(reports, { report: new Report(7) }, {});
    expect(request.payload.args).toEqual({ report: 'gid://servus/Report/7' });
    expect(request.payload.metadata.gids).toBe(true);
    expect(builder({}, true).build(reports, { n: 1 }, {}).payload.metadata).toEqual({ v: 1 });
  });

  it('names the item of a batch that is refused', () => {
    const b = builder({});
    expect(() =>
      b.buildMany([
        { definition: reports, args: {}, options: {} },
        { definition: reports, args: { x: undefined }, options: {} },
      ]),
    ).toThrow('items[1]: Could not enqueue reports.generate: args.x is undefined: omit the key or pass null');
    expect(b.buildMany([{ definition: reports, args: { a: 1 }, options: {} }])).toHaveLength(1);
  });

  it("builds a schedule's template with its queue, attempts and backoff", () => {
    const request = builder({ queues: ['default', 'cron'] }).buildSchedule(reports, { a: 1 }, {
      queue: 'cron',
      attempts: 2,
      backoff: { type: 'fixed', delay: 10 },
    } as never);
    expect(request.queue).toBe('cron');
    expect(request.options).toMatchObject({ attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    expect(request.payload.metadata).toEqual({ v: 1 });
  });

  describe('the size check (limits.maxPayloadBytes) from one walk of the arguments', () => {
    const limited = builder({ queues: ['default'], limits: { maxPayloadBytes: 1000 } });
    const exactBytes = (payload: unknown) => Buffer.byteLength(JSON.stringify(payload));

    it('decides small payloads from the walk alone: nothing is serialised', () => {
      const stringify = jest.spyOn(JSON, 'stringify');
      const request = limited.build(reports, { note: 'x'.repeat(50), n: [1, 2, 3] }, {});
      expect(stringify).not.toHaveBeenCalled();
      stringify.mockRestore();
      expect(request.json).toBeUndefined();
    });

    it('counts exactly when the bounds do not decide, and hands the JSON text on to be stored as it is', () => {
      const args = { note: 'é'.repeat(300) };
      const request = limited.build(reports, args, {});
      expect(request.json).toBe(JSON.stringify(request.payload));
      expect(exactBytes(request.payload)).toBeLessThanOrEqual(1000);
    });

    it.each<[string, unknown]>([
      ['multi-byte characters', { note: 'é'.repeat(480) }],
      ['escaped control characters', { note: '\u0001'.repeat(170) }],
      [
        'long numbers (one character each in the lower bound)',
        { n: Array.from({ length: 45 }, () => 1.234567890123456e-300) },
      ],
    ])('refuses %s over the limit with their exact byte count', (_, args) => {
      const payload = { service: 'reports.generate', args, metadata: { v: 1 } };
      expect(exactBytes(payload)).toBeGreaterThan(1000);
      expect(() => limited.build(reports, args, {})).toThrow(
        `Could not enqueue reports.generate: the job's payload is ${exactBytes(payload)} bytes of JSON, over the limit of 1000 bytes (limits.maxPayloadBytes)`,
      );
    });

    it('refuses arguments whose lower bound is already over the limit, without serialising them', () => {
      const stringify = jest.spyOn(JSON, 'stringify');
      expect(() => limited.build(reports, { note: 'x'.repeat(2000) }, {})).toThrow(
        /^Could not enqueue reports\.generate: the job's payload is at least 20\d\d bytes of JSON, over the limit of 1000 bytes \(limits\.maxPayloadBytes\)$/,
      );
      expect(stringify).not.toHaveBeenCalled();
      stringify.mockRestore();
    });

    it('a value that does not survive JSON, or nests too deep, is named as before (depth first)', () => {
      let deep: unknown = { at: new Date(0) };
      for (let i = 0; i < 70; i++) deep = { deep };
      expect(() => limited.build(reports, deep, {})).toThrow(
        'Could not enqueue reports.generate: args is nested deeper than 64 levels (limits.maxDepth)',
      );
      expect(() => limited.build(reports, { list: [1, { at: new Date(0) }] }, {})).toThrow(
        'Could not enqueue reports.generate: args.list[1].at is a Date: pass an ISO string (toISOString())',
      );
    });
  });

  it("carries the caller's trace context in a call, never in a schedule's template", () => {
    const b = builder({}, false, traced);
    expect(b.build(reports, {}, {}).payload.metadata).toEqual({ v: 1, trace: TRACE });
    expect(b.buildSchedule(reports, {}, {}).payload.metadata).toEqual({ v: 1 });
  });

  it('refuses arguments nested deeper than limits.maxDepth before any other walk', () => {
    const b = builder({ limits: { maxDepth: 2 } });
    expect(b.build(reports, { a: { b: 1 } }, {}).payload.args).toEqual({ a: { b: 1 } });
    expect(() => b.build(reports, { a: { b: { c: 1 } } }, {})).toThrow(
      new JobEnqueueError('reports.generate', 'args is nested deeper than 2 levels (limits.maxDepth)'),
    );
  });

  it('refuses a payload over limits.maxPayloadBytes, naming its size in UTF-8 bytes and the limit', () => {
    const b = builder({ limits: { maxPayloadBytes: 120 } });
    // 118 characters of JSON fit; as UTF-8 ('é' is two bytes) they are 168 bytes.
    expect(b.build(reports, { text: 'e'.repeat(50) }, {}).payload.args).toEqual({ text: 'e'.repeat(50) });
    expect(() => b.build(reports, { text: 'é'.repeat(50) }, {})).toThrow(
      new JobEnqueueError(
        'reports.generate',
        "the job's payload is 168 bytes of JSON, over the limit of 120 bytes (limits.maxPayloadBytes)",
      ),
    );
  });

  it('leaves strings that look like global ids as they are when no locator is registered', () => {
    const request = builder({}).build(reports, { note: 'gid://servus/Report/7' }, {});
    expect(request.payload.args).toEqual({ note: 'gid://servus/Report/7' });
    expect(request.payload.metadata).toEqual({ v: 1 });
  });

  it("refuses an instance whose locator cannot give its id, as a JobEnqueueError that keeps the locator's error", () => {
    const unsaved = new TypeError('Report has no id yet: save it before passing it to callAsync');
    const b = builder({}, true, undefined, () => {
      throw unsaved;
    });
    let error: unknown;
    try {
      b.build(reports, { report: new Report(0) }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobEnqueueError);
    expect((error as Error).message).toBe(
      'Could not enqueue reports.generate: Report has no id yet: save it before passing it to callAsync',
    );
    expect((error as Error).cause).toBe(unsaved);
  });

  it("merges a service's job options once, whatever the number of calls", () => {
    const base = jest.spyOn(jobOptions, 'baseJobOptions');
    try {
      const b = builder({ defaultJobOptions: { attempts: 5 } });
      const service = definition('reports.once', { attempts: 4 });
      for (let i = 0; i < 3; i++) expect(b.build(service, { i }, {}).options.attempts).toBe(4);
      expect(base).toHaveBeenCalledTimes(1);
      b.build(reports, {}, {});
      expect(base).toHaveBeenCalledTimes(2);
    } finally {
      base.mockRestore();
    }
  });

  it.each<[string, unknown, string]>([
    ['an object', { id: 1 }, 'context.tenant must be a string, a number, a boolean or null, got'],
    [
      'a string over 1024 characters',
      't'.repeat(1025),
      'context.tenant is 1025 characters long, over the limit of 1024',
    ],
  ])('refuses a carried context value that is %s, naming it', (_label, tenant, message) => {
    const run = () =>
      // A value the context's type would not allow, as an untyped caller could set it.
      ServusContext.run({ correlationId: 'c', tenant: tenant as string }, () =>
        builder({ context: { carry: ['tenant'] } }).build(reports, {}, {}),
      );
    expect(run).toThrow(`Could not enqueue reports.generate: ${message}`);
    // Refused before anything was sent: the same call can never be taken (an HTTP app answers 422, not 503).
    expect(run).toThrow(expect.objectContaining({ kind: 'refused', retryable: false }));
  });

  it('refuses arguments nested too deep before the global id walk', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(() => builder({}, true).build(reports, { deep }, {})).toThrow(
      new JobEnqueueError('reports.generate', 'args is nested deeper than 64 levels (limits.maxDepth)'),
    );
  });

  it('counts the envelope in the size bounds: near the limit the payload is serialised and its text handed on', () => {
    const request = builder({ limits: { maxPayloadBytes: 1000 } }).build(reports, { note: 'x'.repeat(120) }, {});
    expect(request.json).toBe(JSON.stringify(request.payload));
    const small = builder({}).build(reports, { note: 'x' }, {});
    expect(Object.keys(small)).toEqual(['queue', 'payload', 'options']);
  });

  describe('with signing keys: the job id is fixed before the signature that binds it', () => {
    const key = { id: 'k1', secret: 'k1-secret-0123456789-0123456789-0123456789' };
    const signed = builder({ queues: ['default'], security: { signingKeys: [key] } });
    const SIGNED_ID = /^servus-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

    it('gives a call without a job id a servus-<uuid>, never a plain UUID an outbox row could have', () => {
      const first = signed.build(reports, { a: 1 }, {});
      const second = signed.build(reports, { a: 1 }, {});
      expect(first.options.jobId).toMatch(SIGNED_ID);
      expect(second.options.jobId).not.toBe(first.options.jobId);
      expect(first.payload.metadata).toMatchObject({ jobId: first.options.jobId });
      // An idempotency key keeps BullMQ's deduplication; the id is still one of Servus's own.
      const keyed = signed.build(reports, { a: 1 }, { idempotencyKey: 'order-7' });
      expect(keyed.options.jobId).toMatch(SIGNED_ID);
      expect(keyed.options.deduplication).toMatchObject({ id: 'order-7' });
    });

    it("keeps the caller's job id, from jobId or jobOptions.jobId, and binds it", () => {
      const own = signed.build(reports, {}, { jobId: 'report-42' });
      expect(own.options.jobId).toBe('report-42');
      expect(own.payload.metadata).toMatchObject({ jobId: 'report-42' });
      const viaOptions = signed.build(reports, {}, { jobOptions: { jobId: 'report-43' } });
      expect(viaOptions.options.jobId).toBe('report-43');
      expect(viaOptions.payload.metadata).toMatchObject({ jobId: 'report-43' });
    });

    it('refuses a job id that is not a non-empty string: the worker would refuse every run of it', () => {
      const refusals: Array<[unknown, string]> = [
        ['', 'an empty string'],
        [42, 'a number'],
        [null, 'null'],
      ];
      for (const [jobId, got] of refusals) {
        for (const options of [{ jobId }, { jobOptions: { jobId } }] as never[]) {
          const build = () => signed.build(reports, {}, options);
          expect(build).toThrow(JobEnqueueError);
          expect(build).toThrow(
            `Could not enqueue reports.generate: with security.signingKeys a jobId must be a non-empty string (the signature binds it), got ${got}`,
          );
        }
      }
    });

    it("binds a schedule's template to its scheduler, not to a job id", () => {
      const request = signed.buildSchedule(reports, {}, { id: 'nightly', cron: '0 3 * * *' });
      expect(request.options.jobId).toBeUndefined();
      expect(request.payload.metadata).toMatchObject({ scheduler: 'nightly' });
      expect(request.payload.metadata).not.toHaveProperty('jobId');
      const byName = signed.buildSchedule(reports, {}, { cron: '0 3 * * *' });
      expect(byName.payload.metadata).toMatchObject({ scheduler: 'reports.generate' });
    });

    it('leaves the id to BullMQ without keys', () => {
      const request = builder({ queues: ['default'] }).build(reports, {}, {});
      expect(request.options.jobId).toBeUndefined();
      expect(request.payload.metadata).toEqual({ v: 1 });
    });
  });
});
