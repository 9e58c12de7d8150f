import { INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  ReadableSpan,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { NotFoundError, Service, ServiceBase, ServusExecutor, ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { SERVUS_TRACER } from 'nestjs-servus/extend';
import { ServusTestingModule, ServusTestingOptions, ServusTestQueue } from 'nestjs-servus/testing';
import { BullmqQueues } from 'nestjs-servus/async/bullmq-queues';
import { JobRequestBuilder } from 'nestjs-servus/async/job-request';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../../../../test/support/redis-test-kit';

/** What the service bodies saw as the active span: their own spans become children of it. */
const seen: Array<{ service: string; spanId?: string }> = [];

@Service({ name: 'tracing.inner' })
class Inner extends ServiceBase<{ n: number }, { n: number }> {
  async call({ n }: { n: number }) {
    seen.push({ service: 'tracing.inner', spanId: trace.getActiveSpan()?.spanContext().spanId });
    if (n === 404) return this.failure('No such thing', NotFoundError);
    if (n === 500) throw new Error('boom');
    return this.success({ n });
  }
}

@Service({ name: 'tracing.outer' })
class Outer extends ServiceBase<{ n: number }, { n: number }> {
  constructor(private readonly executor: ServusExecutor) {
    super();
  }

  async call({ n }: { n: number }) {
    const inner = await this.executor.call(Inner, { n });
    return inner.success ? this.success({ n: inner.data.n + 1 }) : this.failure(inner.error.message, NotFoundError);
  }
}

@Module({ providers: [Inner, Outer] })
class TracedModule {}

const apps: INestApplicationContext[] = [];

async function boot(
  options: ServusTestingOptions,
): Promise<{ app: INestApplicationContext; executor: ServusExecutor; queue: ServusTestQueue }> {
  const app = await (
    await Test.createTestingModule({
      imports: [ServusTestingModule.forRoot({ logging: false, ...options }), TracedModule],
    }).compile()
  ).init();
  apps.push(app);
  return { app, executor: app.get(ServusExecutor), queue: app.get(ServusTestQueue) };
}

/** Registers a global SDK (ALS context manager, W3C propagator) exporting to memory; undone by `unregister`. */
function register(sampler?: ParentBasedSampler): { exporter: InMemorySpanExporter; provider: NodeTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return { exporter, provider };
}

async function unregister(provider: NodeTracerProvider): Promise<void> {
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
}

/** A user's own span around `fn` (as an HTTP instrumentation would make), ended after it. */
async function inUserSpan<T>(fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer('user').startActiveSpan('user request', async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const traceId = (span: ReadableSpan) => span.spanContext().traceId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  seen.length = 0;
});

describe('tracing without an SDK (the default: @opentelemetry/api alone)', () => {
  it('calls, failures, exceptions and inline jobs run as usual; jobs carry no metadata.trace', async () => {
    const { executor, queue } = await boot({ async: 'inline' });
    expect(trace.getActiveSpan()).toBeUndefined();

    expect(await executor.call(Outer, { n: 1 })).toBeSuccess({ n: 2 });
    expect(await executor.call(Inner, { n: 404 })).toBeFailure(NotFoundError);
    await expect(executor.call(Inner, { n: 500 })).rejects.toThrow('boom');
    // No span is ever made active around a service: nothing records, nothing is paid for.
    expect(seen.map((entry) => entry.spanId)).toEqual([undefined, undefined, undefined]);

    const receipt = await executor.callAsync(Inner, { n: 3 });
    expect(await executor.result(receipt)).toBeSuccess({ n: 3 });
    expect(queue.enqueued(Inner)[0].metadata).toEqual({ v: 1 });
  });
});

describe('tracing with an SDK registered (in-memory exporter)', () => {
  let exporter: InMemorySpanExporter;
  let provider: NodeTracerProvider;

  beforeAll(() => ({ exporter, provider } = register()));
  afterAll(() => unregister(provider));
  beforeEach(() => exporter.reset());

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((span) => span.name === name);
  const one = (name: string) => {
    const found = named(name);
    expect(found.map((span) => span.name)).toEqual([name]);
    return found[0];
  };

  describe('call', () => {
    it("one INTERNAL span 'call <service>' with servus.service and servus.outcome=success, the service running inside it", async () => {
      const { executor } = await boot({});
      expect(await executor.call(Inner, { n: 1 })).toBeSuccess({ n: 1 });

      expect(spans()).toHaveLength(1);
      const call = one('call tracing.inner');
      expect(call.kind).toBe(SpanKind.INTERNAL);
      expect(call.instrumentationScope.name).toBe(SERVUS_TRACER);
      expect(call.attributes).toEqual({ 'servus.service': 'tracing.inner', 'servus.outcome': 'success' });
      expect(call.status.code).toBe(SpanStatusCode.UNSET);
      expect(call.parentSpanContext).toBeUndefined();
      expect(call.ended).toBe(true);
      expect(seen).toEqual([{ service: 'tracing.inner', spanId: spanId(call) }]);
    });

    it("a call inside a service is a child of the outer call's span, in the same trace", async () => {
      const { executor } = await boot({});
      expect(await executor.call(Outer, { n: 1 })).toBeSuccess({ n: 2 });

      expect(spans().map((span) => span.name)).toEqual(['call tracing.inner', 'call tracing.outer']);
      const outer = one('call tracing.outer');
      const inner = one('call tracing.inner');
      expect(parentOf(inner)).toBe(spanId(outer));
      expect(traceId(inner)).toBe(traceId(outer));
      expect(outer.parentSpanContext).toBeUndefined();
    });

    it("a call inside the user's active span is its child", async () => {
      const { executor } = await boot({});
      const user = await inUserSpan(async (span) => {
        await executor.call(Inner, { n: 1 });
        return span.spanContext();
      });
      expect(parentOf(one('call tracing.inner'))).toBe(user.spanId);
      expect(traceId(one('call tracing.inner'))).toBe(user.traceId);
    });

    it('a failure response is an answer, not an error: servus.outcome=failure, servus.error.code, status left UNSET', async () => {
      const { executor } = await boot({});
      expect(await executor.call(Inner, { n: 404 })).toBeFailure(NotFoundError);

      const call = one('call tracing.inner');
      expect(call.attributes).toEqual({
        'servus.service': 'tracing.inner',
        'servus.outcome': 'failure',
        'servus.error.code': 'not_found',
      });
      expect(call.status.code).toBe(SpanStatusCode.UNSET);
      expect(call.events).toEqual([]);
    });

    it('an exception sets the ERROR status, servus.outcome=exception, and records the exception', async () => {
      const { executor } = await boot({});
      await expect(executor.call(Inner, { n: 500 })).rejects.toThrow('boom');

      const call = one('call tracing.inner');
      expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
      expect(call.attributes['servus.outcome']).toBe('exception');
      expect(call.attributes['servus.error.code']).toBeUndefined();
      expect(call.events).toHaveLength(1);
      expect(call.events[0].name).toBe('exception');
      expect(call.events[0].attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'boom' });
      expect(call.ended).toBe(true);
    });

    it('an exception in a nested call: both spans end, each with the ERROR status', async () => {
      const { executor } = await boot({});
      await expect(executor.call(Outer, { n: 500 })).rejects.toThrow('boom');
      expect(spans().map((span) => [span.name, span.status.code])).toEqual([
        ['call tracing.inner', SpanStatusCode.ERROR],
        ['call tracing.outer', SpanStatusCode.ERROR],
      ]);
      expect(parentOf(one('call tracing.inner'))).toBe(spanId(one('call tracing.outer')));
    });
  });

  describe('callAsync', () => {
    it('inline, inside a user span: send (PRODUCER, child of the user span) -> process (CONSUMER, child of send) -> call (child of process), one trace', async () => {
      const { executor, queue } = await boot({ async: 'inline' });
      const { user, receipt } = await inUserSpan(async (span) => ({
        user: span.spanContext(),
        receipt: await executor.callAsync(Inner, { n: 7 }),
      }));
      expect(await executor.result(receipt)).toBeSuccess({ n: 7 });

      const send = one('send tracing.inner');
      const consumer = one('process tracing.inner');
      const call = one('call tracing.inner');
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(consumer.kind).toBe(SpanKind.CONSUMER);
      expect(call.kind).toBe(SpanKind.INTERNAL);
      expect(parentOf(send)).toBe(user.spanId);
      expect(parentOf(consumer)).toBe(spanId(send));
      expect(parentOf(call)).toBe(spanId(consumer));
      expect([traceId(send), traceId(consumer), traceId(call)]).toEqual([user.traceId, user.traceId, user.traceId]);

      expect(send.attributes).toEqual({
        'servus.service': 'tracing.inner',
        'messaging.destination.name': 'default',
        'messaging.message.id': receipt.jobId,
      });
      expect(consumer.attributes).toEqual({
        'servus.service': 'tracing.inner',
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'default',
        'messaging.message.id': receipt.jobId,
        'servus.job.attempt': 1,
        'servus.outcome': 'success',
      });
      expect(call.attributes).toEqual({ 'servus.service': 'tracing.inner', 'servus.outcome': 'success' });

      // The job carries the send span's context, as W3C traceparent.
      const { metadata } = queue.enqueued(Inner)[0];
      expect(metadata.trace).toEqual({ traceparent: `00-${user.traceId}-${spanId(send)}-01` });
    });

    it('the trace travels in the job, not in the ambient context: a job performed later, outside any span, joins the send span', async () => {
      const { executor, queue } = await boot({ async: 'fake' });
      const user = await inUserSpan(async (span) => {
        await executor.callAsync(Inner, { n: 8 });
        return span.spanContext();
      });
      expect(context.active()).toBe(ROOT_CONTEXT);
      const [performed] = await queue.drain();
      expect(performed.response).toBeSuccess({ n: 8 });

      const send = one('send tracing.inner');
      const consumer = one('process tracing.inner');
      expect(consumer.parentSpanContext).toMatchObject({ spanId: spanId(send), traceId: user.traceId, isRemote: true });
      expect(parentOf(one('call tracing.inner'))).toBe(spanId(consumer));
      expect(performed.metadata.trace?.traceparent).toMatch(TRACEPARENT);
    });

    it("callAsyncMany: one PRODUCER span 'send N calls', each job's process span its child", async () => {
      const { executor, queue } = await boot({ async: 'fake' });
      await executor.callAsyncMany([
        { service: Inner, args: { n: 1 } },
        { service: Inner, args: { n: 2 } },
      ]);
      const send = one('send 2 calls');
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.attributes).toEqual({ 'messaging.batch.message_count': 2 });
      await queue.drain();
      expect(named('process tracing.inner').map(parentOf)).toEqual([spanId(send), spanId(send)]);
    });

    it('a job that completes with a business failure: the process span says failure and its code, status unset', async () => {
      const { executor } = await boot({ async: 'inline' });
      await executor.callAsync(Inner, { n: 404 });
      const consumer = one('process tracing.inner');
      expect(consumer.attributes).toMatchObject({ 'servus.outcome': 'failure', 'servus.error.code': 'not_found' });
      expect(consumer.status.code).toBe(SpanStatusCode.UNSET);
    });

    it('a job whose service fails with a retryable error: one process span per attempt, servus.job.attempt counts', async () => {
      const { executor } = await boot({ async: 'inline' });
      await executor.callAsync(Inner, { n: 500 }, { attempts: 2 });
      const processes = named('process tracing.inner');
      expect(processes.map((span) => [span.attributes['servus.job.attempt'], span.status.code])).toEqual([
        [1, SpanStatusCode.ERROR],
        [2, SpanStatusCode.ERROR],
      ]);
      expect(new Set(processes.map(parentOf))).toEqual(new Set([spanId(one('send tracing.inner'))]));
    });

    it.each([
      ['a traceparent that is not one', { traceparent: 'garbage' }],
      ['an all-zero (invalid) trace id', { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' }],
      ['a traceparent that is not a string', { traceparent: 42 }],
      ['a string instead of a carrier', 'traceparent'],
      ['an array', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']],
    ])('a tampered metadata.trace (%s) is ignored: the job still runs, in a new trace', async (_case, tampered) => {
      const { executor, queue } = await boot({ async: 'fake' });
      await inUserSpan(() => executor.callAsync(Inner, { n: 9 }));
      const original = traceId(one('send tracing.inner'));
      const [call] = queue.pending();
      (call.metadata as { trace?: unknown }).trace = tampered;

      const performed = await queue.perform(call);
      expect(performed.state).toBe('completed');
      expect(performed.response).toBeSuccess({ n: 9 });
      const consumer = one('process tracing.inner');
      expect(consumer.parentSpanContext).toBeUndefined();
      expect(traceId(consumer)).not.toBe(original);
      expect(parentOf(one('call tracing.inner'))).toBe(spanId(consumer));
    });
  });

  it('`tracing: false`: no Servus span and no trace in jobs, even with an SDK and a user span', async () => {
    const { executor, queue } = await boot({ async: 'inline', tracing: false });
    await inUserSpan(async () => {
      expect(await executor.call(Outer, { n: 1 })).toBeSuccess({ n: 2 });
      expect(await executor.call(Inner, { n: 404 })).toBeFailure(NotFoundError);
      await expect(executor.call(Inner, { n: 500 })).rejects.toThrow('boom');
      await executor.callAsync(Inner, { n: 3 });
      await executor.callAsyncMany([{ service: Inner, args: { n: 4 } }]);
    });
    expect(spans().map((span) => span.name)).toEqual(['user request']);
    expect(queue.enqueued(Inner).map((call) => call.metadata)).toEqual([{ v: 1 }, { v: 1 }]);
    // The services ran inside the user's span, untouched.
    expect(new Set(seen.map((entry) => entry.spanId))).toEqual(new Set([spanId(spans()[0])]));
  });

  it("a schedule's template carries no trace (each run would otherwise join the trace that scheduled it)", async () => {
    const { app, executor } = await boot({ async: 'fake' });
    // The test queue keeps no template: see what it built (the BullMQ side is checked against Redis below).
    const build = jest.spyOn(app.get(JobRequestBuilder), 'buildSchedule');
    await inUserSpan(() => executor.schedule(Inner, { n: 1 }, { every: '1m' }));
    expect(build).toHaveBeenCalledTimes(1);
    expect(build.mock.results[0].value.payload.metadata).toEqual({ v: 1 });
  });
});

describe('tracing with a sampler: a sampled-out Servus span still carries its decision', () => {
  let exporter: InMemorySpanExporter;
  let provider: NodeTracerProvider;
  /** Drops root spans named here; everything else follows its parent (as parentbased_* samplers do). */
  const dropped = new Set<string>();

  beforeAll(() => {
    const root = {
      shouldSample: (_context: unknown, _traceId: string, name: string) => ({
        decision: dropped.has(name) ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
      }),
      toString: () => 'DropByName',
    };
    ({ exporter, provider } = register(new ParentBasedSampler({ root })));
  });
  afterAll(() => unregister(provider));
  beforeEach(() => {
    exporter.reset();
    dropped.clear();
  });

  it('a call nested in a sampled-out call is not sampled either (not a new trace of its own)', async () => {
    const { executor } = await boot({});
    dropped.add('call tracing.outer');
    expect(await executor.call(Outer, { n: 1 })).toBeSuccess({ n: 2 });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([]);
  });

  it("a sampled-out send: the job carries the decision (flags 00), the worker's spans are not sampled", async () => {
    const { executor, queue } = await boot({ async: 'fake' });
    dropped.add('send tracing.inner');
    await executor.callAsync(Inner, { n: 1 });
    expect(queue.pending()[0].metadata.trace?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await queue.drain();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([]);
  });
});

/** The BullMQ side: a real Redis, an in-process worker whose ambient context is not the producer's. */
describe('tracing through Redis and a BullMQ worker', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('tracing');
  let exporter: InMemorySpanExporter;
  let provider: NodeTracerProvider;
  let app: INestApplicationContext;
  let executor: ServusExecutor;

  beforeAll(async () => {
    ({ exporter, provider } = register());
    const options: ServusModuleOptions = {
      connection: { url: REDIS_URL },
      prefix,
      queues: ['default'],
      worker: { concurrency: 2 },
      logging: false,
    };
    app = await (
      await Test.createTestingModule({ imports: [ServusModule.forRoot(options), TracedModule] }).compile()
    ).init();
    executor = app.get(ServusExecutor);
  });
  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
    await unregister(provider);
  });
  beforeEach(() => exporter.reset());

  const spansOf = (jobId: string) =>
    exporter.getFinishedSpans().filter((span) => span.attributes['messaging.message.id'] === jobId);
  const finished = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);

  it("callAsync in a user span: the job's data carries traceparent; the worker's process span is the send span's remote child", async () => {
    const queue = await app.get(BullmqQueues).ready('default');
    const { user, receipt } = await inUserSpan(async (span) => ({
      user: span.spanContext(),
      receipt: await executor.callAsync(Inner, { n: 5 }),
    }));
    const job = await waitForJob(queue, receipt.jobId);
    expect(job.returnvalue).toMatchObject({ success: true, data: { n: 5 } });
    await eventually(async () => spansOf(receipt.jobId).length === 2, 5_000, 'send and process spans');

    const send = spansOf(receipt.jobId).find((span) => span.kind === SpanKind.PRODUCER)!;
    const consumer = spansOf(receipt.jobId).find((span) => span.kind === SpanKind.CONSUMER)!;
    expect(job.data.metadata.trace).toEqual({ traceparent: `00-${user.traceId}-${spanId(send)}-01` });
    expect(parentOf(send)).toBe(user.spanId);
    expect(consumer.parentSpanContext).toMatchObject({ traceId: user.traceId, spanId: spanId(send), isRemote: true });
    const call = finished('call tracing.inner').find((span) => parentOf(span) === spanId(consumer));
    expect(call).toBeDefined();
    expect(traceId(call!)).toBe(user.traceId);
  });

  it('a job added with a garbage metadata.trace completes, its process span the root of a new trace', async () => {
    const queue = await app.get(BullmqQueues).ready('default');
    const added = await queue.add('tracing.inner', {
      service: 'tracing.inner',
      args: { n: 6 },
      metadata: { v: 1, trace: { traceparent: '00-zzzz-yyyy-01', tracestate: 'x'.repeat(10_000) } },
    });
    const job = await waitForJob(queue, added.id!);
    expect(job.returnvalue).toMatchObject({ success: true, data: { n: 6 } });
    await eventually(async () => spansOf(added.id!).length === 1, 5_000, 'process span');
    const [consumer] = spansOf(added.id!);
    expect(consumer.name).toBe('process tracing.inner');
    expect(consumer.parentSpanContext).toBeUndefined();
  });

  it('a job refused before it runs (unknown service, undecodable payload) still gets an ERROR consumer span, in its trace when it carries one', async () => {
    const queue = await app.get(BullmqQueues).ready('default');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const unknown = await queue.add('tracing.nope', {
      service: 'tracing.nope',
      args: {},
      metadata: { v: 1, trace: { traceparent } },
    });
    const garbage = await queue.add('tracing.inner', 'not a payload');
    for (const job of [unknown, garbage]) expect(await (await waitForJob(queue, job.id!)).getState()).toBe('failed');
    await eventually(
      async () => spansOf(unknown.id!).length === 1 && spansOf(garbage.id!).length === 1,
      5_000,
      'refused spans',
    );

    const [refused] = spansOf(unknown.id!);
    expect(refused.name).toBe('process (refused)');
    expect(refused.kind).toBe(SpanKind.CONSUMER);
    expect(refused.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('Unknown service "tracing.nope"'),
    });
    expect(refused.attributes).toMatchObject({
      'messaging.destination.name': 'default',
      'messaging.message.id': unknown.id,
      'servus.outcome': 'refused',
    });
    expect(refused.parentSpanContext).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      isRemote: true,
    });
    const [undecodable] = spansOf(garbage.id!);
    expect(undecodable.status.message).toMatch(/^Undecodable job payload: /);
    expect(undecodable.parentSpanContext).toBeUndefined();
  });

  it("a schedule made inside a user span: the scheduler's template has no trace; its runs start their own traces", async () => {
    const queue = await app.get(BullmqQueues).ready('default');
    const user = await inUserSpan(async (span) => {
      await executor.schedule(Inner, { n: 11 }, { id: 'traced-tick', every: 300 });
      return span.spanContext();
    });
    const scheduler = await queue.getJobScheduler('traced-tick');
    expect(scheduler?.template?.data).toEqual({ service: 'tracing.inner', args: { n: 11 }, metadata: { v: 1 } });

    await eventually(async () => finished('process tracing.inner').length >= 1, 5_000, 'a scheduled run');
    await executor.unschedule('traced-tick');
    const [run] = finished('process tracing.inner');
    expect(run.parentSpanContext).toBeUndefined();
    expect(traceId(run)).not.toBe(user.traceId);
  });
});
