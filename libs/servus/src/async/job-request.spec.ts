import { JobEnqueueError, ServusContext } from 'nestjs-servus';
import { AsyncModuleOptions } from 'nestjs-servus/async/async-options.interface';
import { JobRequestBuilder } from 'nestjs-servus/async/job-request';
import { JobSigner } from 'nestjs-servus/async/job-signer';
import { QueueNames } from 'nestjs-servus/async/queue-names';
import { ExecutionModuleOptions } from 'nestjs-servus/execution/execution-options.interface';
import { GlobalIds } from 'nestjs-servus/globalid/global-ids';
import { ServiceDefinition } from 'nestjs-servus/service/service-definition';
import { ServusTracing } from 'nestjs-servus/tracing/servus-tracing';

class Report {
  constructor(readonly id: number) {}
}

type Options = AsyncModuleOptions & ExecutionModuleOptions;

function builder(options: Options, withGids = false): JobRequestBuilder {
  const globalIds = new GlobalIds();
  if (withGids)
    globalIds.register({
      types: () => [{ name: 'Report', type: Report }],
      idOf: (entity) => (entity as Report).id,
      locate: () => Promise.resolve(undefined),
    });
  return new JobRequestBuilder(
    options,
    new QueueNames(options),
    globalIds,
    new ServusTracing({ tracing: false }),
    new JobSigner(options),
  );
}

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
});
