import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { JobEnqueueError, Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { ServusTestingModule, ServusTestQueue } from 'nestjs-servus/testing';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { decodePayload } from '../async/job-payload.codec';

type UserArgs = { userId: unknown; n?: number };

let running = 0;
let maxRunning = 0;

@Service({
  name: 'flow.per-user',
  async: { concurrency: { limit: 1, key: (args: UserArgs) => args.userId as string } },
})
class PerUser extends ServiceBase<UserArgs, { n?: number }> {
  async call(args: UserArgs) {
    maxRunning = Math.max(maxRunning, ++running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running--;
    return this.success({ n: args.n });
  }
}

@Service({
  name: 'flow.throwing-key',
  async: {
    concurrency: {
      limit: 1,
      key: () => {
        throw new Error('no user in args');
      },
    },
  },
})
class ThrowingKey extends ServiceBase<Record<string, never>, null> {
  async call() {
    return this.success(null);
  }
}

@Service({
  name: 'flow.rated',
  async: { rateLimit: { max: 2, per: '1m', key: (args: UserArgs) => String(args.userId) } },
})
class Rated extends ServiceBase<UserArgs, { n?: number }> {
  async call(args: UserArgs) {
    return this.success({ n: args.n });
  }
}

@Module({ providers: [PerUser, ThrowingKey, Rated] })
class FlowFixtures {}

describe('flow control: keys at enqueue, testing semantics, metrics', () => {
  let app: INestApplication;
  let executor: ServusExecutor;
  let queue: ServusTestQueue;
  let registry: Registry;

  beforeAll(async () => {
    registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusTestingModule.forRoot({ async: 'fake' }),
        ServusMetricsModule.forRoot({ registry, defaultMetrics: false, path: false }),
        FlowFixtures,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
    queue = app.get(ServusTestQueue);
  });

  afterAll(() => app?.close());
  beforeEach(() => queue.clear());

  it('runs the key function at enqueue and stores the key with the job', async () => {
    await executor.callAsync(PerUser, { userId: 'u-7', n: 1 });
    expect(queue.enqueued(PerUser)[0].metadata.flow).toEqual({ c: 'u-7' });
  });

  it('a key function that throws is JobEnqueueError at the caller, naming the service and the cause', async () => {
    const call = executor.callAsync(ThrowingKey, {});
    await expect(call).rejects.toThrow(JobEnqueueError);
    await expect(call).rejects.toThrow(
      'Could not enqueue flow.throwing-key: its async.concurrency.key function threw: "no user in args"',
    );
    expect(queue.enqueued()).toHaveLength(0);
  });

  it('a key that is not a string, too long, or has control characters is JobEnqueueError', async () => {
    await expect(executor.callAsync(PerUser, { userId: 42 })).rejects.toThrow(
      'Could not enqueue flow.per-user: the key its async.concurrency.key function returned must be a string, got number',
    );
    await expect(executor.callAsync(PerUser, { userId: 'x'.repeat(201) })).rejects.toThrow(
      'the key its async.concurrency.key function returned is 201 characters long (at most 200)',
    );
    await expect(executor.callAsync(PerUser, { userId: 'a\nb' })).rejects.toThrow(
      'the key its async.concurrency.key function returned contains a control character',
    );
  });

  it('a worker refuses a job whose stored key is malformed (it never runs the key function)', () => {
    const data = { service: 'flow.per-user', args: {}, metadata: { v: 1, flow: { c: 7 } } };
    expect(() => decodePayload(data)).toThrow('"metadata.flow.c" must be a string, got number');
    expect(decodePayload({ ...data, metadata: { v: 1, flow: { c: 'u1' } } }).flow).toEqual({ c: 'u1' });
  });

  it('executor.call ignores the limits: two calls of one key run at once', async () => {
    maxRunning = 0;
    await Promise.all([executor.call(PerUser, { userId: 'u1' }), executor.call(PerUser, { userId: 'u1' })]);
    expect(maxRunning).toBe(2);
  });

  it('drain() runs one call at a time, so a concurrency limit holds', async () => {
    maxRunning = 0;
    for (let n = 0; n < 3; n++) await executor.callAsync(PerUser, { userId: 'u1', n });
    const performed = await queue.drain();
    expect(performed.map((call) => call.state)).toEqual(['completed', 'completed', 'completed']);
    expect(maxRunning).toBe(1);
  });

  it('drain() postpones calls over a rate limit behind those that may start, on a virtual clock, and counts them', async () => {
    for (let n = 1; n <= 4; n++) await executor.callAsync(Rated, { userId: 'a', n });
    await executor.callAsync(Rated, { userId: 'b', n: 5 });
    const performed = await queue.drain();
    // a1, a2 in the first window; a3, a4 over the limit: b5 goes first; then the clock moves a minute on.
    expect(performed.map((call) => (call.args as UserArgs).n)).toEqual([1, 2, 5, 3, 4]);
    expect(performed.map((call) => call.postponed)).toEqual([0, 0, 0, 1, 1]);
    const metric = await registry.getSingleMetric('servus_jobs_postponed_total')!.get();
    expect(metric.values).toEqual([{ labels: { service: 'flow.rated', reason: 'rate_limit' }, value: 2 }]);
  });
});

describe('flow control: declarations are checked at boot', () => {
  it('a limit that is not a positive integer fails the boot, naming the service', async () => {
    @Service({ name: 'flow.bad', async: { concurrency: { limit: 0 } } })
    class Bad extends ServiceBase<Record<string, never>, null> {
      async call() {
        return this.success(null);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ServusTestingModule.forRoot(), { module: class BadModule {}, providers: [Bad] }],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      '@Service flow.bad: async.concurrency.limit must be a positive integer, got 0',
    );
  });

  it('a window that is not a duration fails the boot', async () => {
    @Service({ name: 'flow.bad-per', async: { rateLimit: { max: 5, per: 'soon' } } })
    class BadPer extends ServiceBase<Record<string, never>, null> {
      async call() {
        return this.success(null);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ServusTestingModule.forRoot(), { module: class BadPerModule {}, providers: [BadPer] }],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      '@Service flow.bad-per: async.rateLimit.per: "soon" is not a duration',
    );
  });
});
