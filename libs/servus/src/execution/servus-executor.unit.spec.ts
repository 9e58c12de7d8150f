import { Rescuer } from '../rescue/rescuer';
import { AsyncError, ServiceNotFoundError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { Contract } from '../service/contract.interface';
import { ServiceBase } from '../service/service-base';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { Service } from '../service/service.decorator';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';
import { AsyncDispatcher, PreparedCall } from './async-dispatcher.interface';
import { AsyncReceipt, CallAsyncOptions, JobRef } from './call-async-options.interface';
import { PipelineCall, ServicePipeline } from './service-pipeline';
import { ServusExecutor } from './servus-executor';
import { ServusObservers } from './servus-observers';

/*
 * The executor built from its parts by hand (no Nest module): a real registry and observers, a
 * pipeline and a dispatcher that record what they are asked. What the pipeline does with a call
 * is service-pipeline.spec.ts's concern; here, what the executor hands it and the dispatcher.
 */

@Service({ name: 'math.divide' })
class Divide extends ServiceBase<{ a: number; b: number }, number> {
  call({ a, b }: { a: number; b: number }) {
    return this.success(a / b);
  }
}

@Service({ name: 'payments.charge' })
class Charge extends ServiceBase<{ amount: number }, null> {
  call() {
    return this.success(null);
  }
}

@Service()
class NeverProvided extends ServiceBase {
  call() {
    return this.success(null);
  }
}

class NotDecorated extends ServiceBase {
  call() {
    return this.success(null);
  }
}

function definitionOf(type: ServiceDefinition['type'], name: string, contract?: Contract): ServiceDefinition {
  return {
    name,
    type,
    instance: new (type as new () => ServiceBase)(),
    options: {},
    rescuer: new Rescuer([], name),
    arguments: contract,
  };
}

/** Validates by adding `checked: true` (sync, or async with `async`), and serialises as `{ json: validated }`. */
function contractOf(async = false): Contract {
  return {
    validate: (value) => {
      const checked = { ...(value as object), checked: true };
      return async ? Promise.resolve(checked) : checked;
    },
    toJson: (validated) => ({ json: validated }),
  };
}

class RecordingDispatcher implements AsyncDispatcher {
  readonly calls: unknown[][] = [];
  private next = 0;
  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    this.calls.push(['enqueue', definition.name, args, options]);
    return Promise.resolve({ jobId: String(++this.next), queue: 'default', service: definition.name });
  }
  enqueueMany(items: PreparedCall[]): Promise<AsyncReceipt[]> {
    this.calls.push(['enqueueMany', items.map((item) => [item.definition.name, item.args, item.options])]);
    return Promise.resolve(
      items.map((item) => ({ jobId: String(++this.next), queue: 'default', service: item.definition.name })),
    );
  }
  status(job: JobRef) {
    this.calls.push(['status', job]);
    return Promise.resolve(undefined);
  }
  result(job: JobRef, timeoutMs: number) {
    this.calls.push(['result', job, timeoutMs]);
    return Promise.resolve(ServiceResponse.success('done'));
  }
  cancel(job: JobRef) {
    this.calls.push(['cancel', job]);
    return Promise.resolve('removed' as const);
  }
  schedule(definition: ServiceDefinition, args: unknown, options: unknown) {
    this.calls.push(['schedule', definition.name, args, options]);
    return Promise.resolve({ id: 'sched' } as never);
  }
  schedules() {
    this.calls.push(['schedules']);
    return Promise.resolve([]);
  }
  unschedule(id: string, queue?: string) {
    this.calls.push(['unschedule', id, queue]);
    return Promise.resolve(true);
  }
  jobCounts() {
    return Promise.resolve([]);
  }
}

/** Records the spans asked for; `sdk` is what `active()` answers; the span records its attributes. */
class RecordingTracing {
  sdk = false;
  active() {
    return this.sdk;
  }
  readonly spans: Array<{ name: string; kind: SpanKind; attributes: unknown; set?: unknown }> = [];
  withSpan = true;
  run(name: string, kind: SpanKind, attributes: unknown, fn: (span?: unknown) => Promise<unknown>) {
    const record: { name: string; kind: SpanKind; attributes: unknown; set?: unknown } = { name, kind, attributes };
    this.spans.push(record);
    const span = { setAttributes: (set: unknown) => (record.set = set) };
    return fn(this.withSpan ? span : undefined);
  }
}

function build() {
  const registry = new ServiceRegistry();
  const divide = definitionOf(Divide, 'math.divide');
  const charge = definitionOf(Charge, 'payments.charge', contractOf());
  registry.register(divide);
  registry.register(charge);
  const runs: PipelineCall[] = [];
  const response = ServiceResponse.success(42);
  const pipeline = {
    run: (call: PipelineCall) => (runs.push(call), Promise.resolve(response)),
    validateArguments: (definition: ServiceDefinition, args: unknown) =>
      definition.arguments ? definition.arguments.validate(args, `arguments for ${definition.name}`) : args,
  } as unknown as ServicePipeline;
  const dispatcher = new RecordingDispatcher();
  const observers = new ServusObservers();
  const tracing = new RecordingTracing();
  const executor = new ServusExecutor(
    registry,
    pipeline,
    new ServusMetadataAccessor(),
    dispatcher,
    observers,
    tracing as unknown as ServusTracing,
    { queueOf: (definition) => `queue-of-${definition.name}` },
  );
  return { executor, registry, divide, charge, runs, response, dispatcher, observers, tracing };
}

describe('ServusExecutor.call', () => {
  it('runs the registered definition through the pipeline, by class or by name, and answers its response', async () => {
    const { executor, divide, runs, response } = build();
    const args = { a: 6, b: 3 };
    await expect(executor.call(Divide, args)).resolves.toBe(response);
    await expect(executor.call('math.divide', args)).resolves.toBe(response);
    expect(runs).toEqual([
      { definition: divide, args },
      { definition: divide, args },
    ]);
    expect(runs[0].args).toBe(args);
  });

  it('rejects (never throws) an unknown name, listing the registered names', async () => {
    const { executor, runs } = build();
    let call!: Promise<unknown>;
    expect(() => (call = executor.call('reports.generate', {}))).not.toThrow();
    const error = (await call.catch((e: unknown) => e)) as ServiceNotFoundError;
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error.service).toBe('reports.generate');
    expect(error.message).toBe(
      'Service reports.generate is not registered: no @Service() is registered under that name (registered: math.divide, payments.charge)',
    );
    expect(runs).toEqual([]);
  });

  it("says 'none' when nothing is registered", async () => {
    const executor = new ServusExecutor(
      new ServiceRegistry(),
      {} as ServicePipeline,
      new ServusMetadataAccessor(),
      new RecordingDispatcher(),
      new ServusObservers(),
      new RecordingTracing() as unknown as ServusTracing,
      { queueOf: () => 'default' },
    );
    await expect(executor.call('x', {})).rejects.toThrow(
      'Service x is not registered: no @Service() is registered under that name (registered: none)',
    );
  });

  it('rejects a class not decorated with @Service(), telling to decorate it', async () => {
    const { executor } = build();
    const error = (await executor.call(NotDecorated).catch((e: unknown) => e)) as ServiceNotFoundError;
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error.service).toBe('NotDecorated');
    expect(error.message).toBe(
      'Service NotDecorated is not registered: decorate NotDecorated with @Service() and add it to the providers of a module',
    );
  });

  it('rejects a decorated class that no module provides, telling to add it to providers', async () => {
    const { executor } = build();
    await expect(executor.call(NeverProvided)).rejects.toThrow(
      'Service NeverProvided is not registered: add NeverProvided to the providers of a module of this application',
    );
  });

  it('names what it was given when that is not a class (undefined: an import cycle)', async () => {
    const { executor } = build();
    await expect(executor.call(undefined as never)).rejects.toThrow(
      'Service undefined is not registered: decorate undefined with @Service() and add it to the providers of a module',
    );
  });
});

describe('ServusExecutor.callAsync', () => {
  it('enqueues the arguments as they are for a service without a contract, with the options (default {})', async () => {
    const { executor, dispatcher } = build();
    const args = { a: 1, b: 2 };
    await expect(executor.callAsync(Divide, args)).resolves.toEqual({
      jobId: '1',
      queue: 'default',
      service: 'math.divide',
    });
    await executor.callAsync('math.divide', args, { queue: 'critical' });
    expect(dispatcher.calls).toEqual([
      ['enqueue', 'math.divide', args, {}],
      ['enqueue', 'math.divide', args, { queue: 'critical' }],
    ]);
    expect(dispatcher.calls[0][2]).toBe(args);
  });

  it("enqueues the contract's JSON of the validated arguments (sync or async validation)", async () => {
    for (const async of [false, true]) {
      const { executor, registry, dispatcher } = build();
      registry.register(definitionOf(Charge, 'payments.charge', contractOf(async)));
      await executor.callAsync(Charge, { amount: 5 });
      expect(dispatcher.calls).toEqual([['enqueue', 'payments.charge', { json: { amount: 5, checked: true } }, {}]]);
    }
  });

  it('hands on, never awaits, arguments that are a promise a synchronous contract let through as they are', async () => {
    // A JSON Schema contract answers the value it checked: a promise passed as args is that value, not the
    // contract's answer. Awaited, its value (never checked) would be enqueued; handed on, the dispatcher's
    // JSON check refuses it. Only a promise the contract made (a class-validator DTO's) is awaited.
    const passThrough: Contract = { validate: (value) => value, toJson: (validated) => validated };
    for (const way of ['callAsync', 'callAsyncMany', 'schedule'] as const) {
      const { executor, registry, dispatcher } = build();
      registry.register(definitionOf(Charge, 'payments.charge', passThrough));
      const args = Promise.resolve({ amount: 'not checked' });
      if (way === 'callAsyncMany') await executor.callAsyncMany([{ service: Charge, args: args }]);
      else if (way === 'schedule') await executor.schedule(Charge, args as never, { every: 1000 });
      else await executor.callAsync(Charge, args as never);
      const handed = way === 'callAsyncMany' ? (dispatcher.calls[0][1] as unknown[][])[0][1] : dispatcher.calls[0][2];
      expect({ way, same: handed === args }).toEqual({ way, same: true });
    }
  });

  it('rejects an unknown service and enqueues nothing', async () => {
    const { executor, dispatcher } = build();
    await expect(executor.callAsync('nope', {})).rejects.toThrow('Service nope is not registered');
    expect(dispatcher.calls).toEqual([]);
  });

  it('tells the enqueued observers of the receipt', async () => {
    const { executor, observers } = build();
    const seen: unknown[] = [];
    observers.add({ enqueued: (receipts) => seen.push(receipts) });
    const receipt = await executor.callAsync(Divide, { a: 1, b: 1 });
    expect(seen).toEqual([[receipt]]);
  });

  it('with an SDK: a producer span named for the service, given the queue and job id', async () => {
    const { executor, tracing, dispatcher } = build();
    tracing.sdk = true;
    const receipt = await executor.callAsync(Divide, { a: 1, b: 1 }, { priority: 3 });
    expect(receipt).toEqual({ jobId: '1', queue: 'default', service: 'math.divide' });
    expect(tracing.spans).toEqual([
      {
        name: 'send math.divide',
        kind: SpanKind.PRODUCER,
        attributes: { 'servus.service': 'math.divide' },
        set: { 'messaging.destination.name': 'default', 'messaging.message.id': '1' },
      },
    ]);
    expect(dispatcher.calls).toEqual([['enqueue', 'math.divide', { a: 1, b: 1 }, { priority: 3 }]]);
    tracing.withSpan = false;
    await expect(executor.callAsync(Divide, { a: 1, b: 1 })).resolves.toMatchObject({ jobId: '2' });
  });

  it('without one, no span', async () => {
    const { executor, tracing } = build();
    await executor.callAsync(Divide, { a: 1, b: 1 });
    expect(tracing.spans).toEqual([]);
  });
});

describe('ServusExecutor.callAsyncMany', () => {
  it("enqueues every item at once in one producer span: each contract's JSON, options default {}", async () => {
    const { executor, dispatcher, tracing, observers } = build();
    const seen: unknown[] = [];
    observers.add({ enqueued: (receipts) => seen.push(receipts) });
    const plain = { a: 1, b: 2 };
    const receipts = await executor.callAsyncMany([
      { service: Divide, args: plain },
      { service: 'payments.charge', args: { amount: 3 }, options: { queue: 'low' } },
    ]);
    expect(receipts.map((receipt) => receipt.service)).toEqual(['math.divide', 'payments.charge']);
    expect(dispatcher.calls).toEqual([
      [
        'enqueueMany',
        [
          ['math.divide', plain, {}],
          ['payments.charge', { json: { amount: 3, checked: true } }, { queue: 'low' }],
        ],
      ],
    ]);
    expect((dispatcher.calls[0][1] as unknown[][])[0][1]).toBe(plain);
    expect(tracing.spans).toEqual([
      { name: 'send 2 calls', kind: SpanKind.PRODUCER, attributes: { 'messaging.batch.message_count': 2 } },
    ]);
    expect(seen).toEqual([receipts]);
  });

  it('a bad item rejects the batch, its message prefixed with its index, and nothing is enqueued', async () => {
    const { executor, registry, dispatcher } = build();
    const refusal = new Error('amount must be integer');
    registry.register(
      definitionOf(Charge, 'payments.charge', {
        validate: () => {
          throw refusal;
        },
        toJson: (value) => value,
      }),
    );
    await expect(
      executor.callAsyncMany([
        { service: Divide, args: { a: 1, b: 1 } },
        { service: 'nope', args: {} },
      ]),
    ).rejects.toThrow('items[1]: Service nope is not registered');
    const error = await executor
      .callAsyncMany([
        { service: Divide, args: { a: 1, b: 1 } },
        { service: Divide, args: { a: 1, b: 1 } },
        { service: Charge, args: { amount: 'x' } },
      ])
      .catch((e: unknown) => e);
    expect(error).toBe(refusal);
    expect(refusal.message).toBe('items[2]: amount must be integer');
    expect(dispatcher.calls).toEqual([]);
  });
});

describe('ServusExecutor: schedules', () => {
  it('schedule: the arguments checked as for callAsync, then handed to the dispatcher with the options', async () => {
    const { executor, dispatcher } = build();
    await executor.schedule(Charge, { amount: 2 }, { every: '1h' });
    await executor.schedule('math.divide', { a: 1, b: 1 }, { cron: '0 * * * *', id: 'hourly' });
    expect(dispatcher.calls).toEqual([
      ['schedule', 'payments.charge', { json: { amount: 2, checked: true } }, { every: '1h' }],
      ['schedule', 'math.divide', { a: 1, b: 1 }, { cron: '0 * * * *', id: 'hourly' }],
    ]);
    await expect(executor.schedule('nope', {}, { every: '1h' })).rejects.toThrow('Service nope is not registered');
  });

  it('schedules and unschedule go to the dispatcher', async () => {
    const { executor, dispatcher } = build();
    await expect(executor.schedules()).resolves.toEqual([]);
    await expect(executor.unschedule('hourly', 'low')).resolves.toBe(true);
    await executor.unschedule('daily');
    expect(dispatcher.calls).toEqual([
      ['schedules'],
      ['unschedule', 'hourly', 'low'],
      ['unschedule', 'daily', undefined],
    ]);
  });
});

describe('ServusExecutor: cancel, status, result of a receipt', () => {
  it('a bare id, a full receipt, a receipt of a known service without its queue (its queue added), of an unknown one', async () => {
    const { executor, dispatcher } = build();
    const full = { jobId: '1', queue: 'low', service: 'math.divide' };
    const noQueue = { jobId: '2', service: 'math.divide' };
    const unknown = { jobId: '3', service: 'gone' };
    const idOnly = { jobId: '4' };
    for (const receipt of ['7', full, noQueue, unknown, idOnly]) await executor.cancel(receipt);
    expect(dispatcher.calls.map((call) => call[1])).toEqual([
      { jobId: '7' },
      full,
      { jobId: '2', service: 'math.divide', queue: 'queue-of-math.divide' },
      unknown,
      idOnly,
    ]);
    expect(dispatcher.calls[1][1]).toBe(full);
    expect(dispatcher.calls[3][1]).toBe(unknown);
    expect(dispatcher.calls[4][1]).toBe(idOnly);
    expect(noQueue).toEqual({ jobId: '2', service: 'math.divide' });
  });

  it('status and cancel answer what the dispatcher answers', async () => {
    const { executor, dispatcher } = build();
    await expect(executor.cancel('1')).resolves.toBe('removed');
    await expect(executor.status({ jobId: '2', service: 'math.divide' })).resolves.toBeUndefined();
    expect(dispatcher.calls).toEqual([
      ['cancel', { jobId: '1' }],
      ['status', { jobId: '2', service: 'math.divide', queue: 'queue-of-math.divide' }],
    ]);
  });

  it('result waits 30000 ms by default, or the timeoutMs given from 1 to 2147483647', async () => {
    const { executor, dispatcher } = build();
    await expect(executor.result('1')).resolves.toMatchObject({ success: true, data: 'done' });
    await executor.result({ jobId: '2', service: 'math.divide' }, { timeoutMs: 1 });
    await executor.result('3', { timeoutMs: 2 ** 31 - 1 });
    await executor.result('4', {});
    expect(dispatcher.calls).toEqual([
      ['result', { jobId: '1' }, 30000],
      ['result', { jobId: '2', service: 'math.divide', queue: 'queue-of-math.divide' }, 1],
      ['result', { jobId: '3' }, 2147483647],
      ['result', { jobId: '4' }, 30000],
    ]);
  });

  it.each([0, -1, 0.5, 2 ** 31, Infinity, NaN])(
    'result refuses timeoutMs %p at once, naming the range',
    async (timeoutMs) => {
      const { executor, dispatcher } = build();
      const error = await executor.result('1', { timeoutMs }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AsyncError);
      expect((error as Error).message).toBe(
        `result() needs timeoutMs between 1 and 2147483647 (milliseconds), got ${String(timeoutMs)}`,
      );
      expect(dispatcher.calls).toEqual([]);
    },
  );
});
