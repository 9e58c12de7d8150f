import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import {
  NotFoundError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceUnavailableError,
  ServusExecutor,
} from 'nestjs-servus';
import { ServusTestingModule } from 'nestjs-servus/testing';
import { ServusMetrics, ServusMetricsModule } from 'nestjs-servus/metrics';

class Timeout extends Error {}

@Service({ name: 'm.ok' })
class Ok extends ServiceBase<{ n: number }, { n: number }> {
  async call(args: { n: number }) {
    return this.success(args);
  }
}

@Service({ name: 'm.missing' })
class Missing extends ServiceBase<Record<string, never>, never> {
  async call() {
    return this.failure('gone', NotFoundError);
  }
}

@Service({ name: 'm.throws' })
class Throws extends ServiceBase<Record<string, never>, never> {
  async call(): Promise<never> {
    throw new RangeError('out of range');
  }
}

let flakyRuns = 0;
/** Fails retryably twice, then succeeds: 2 retries, no dead job. */
@Service({ name: 'm.flaky', queue: 'low', async: { attempts: 3 } })
@RescueFrom(Timeout, { use: ServiceUnavailableError })
class Flaky extends ServiceBase<Record<string, never>, { runs: number }> {
  async call() {
    if (++flakyRuns < 3) throw new Timeout('slow upstream');
    return this.success({ runs: flakyRuns });
  }
}

/** Always retryable: 2 attempts, then dead. */
@Service({ name: 'm.down', async: { attempts: 2 } })
@RescueFrom(Timeout, { use: ServiceUnavailableError })
class Down extends ServiceBase<Record<string, never>, never> {
  async call(): Promise<never> {
    throw new Timeout('down');
  }
}

@Module({ providers: [Ok, Missing, Throws, Flaky, Down] })
class MetricsFixtures {}

/** The value of one series, or undefined when it was never touched. */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (sample) =>
      Object.entries(labels).every(([key, wanted]) => String(sample.labels[key]) === wanted) &&
      Object.keys(sample.labels).length === Object.keys(labels).length,
  );
  return found?.value;
}

describe('ServusMetricsModule (testing module, inline jobs)', () => {
  let app: INestApplication;
  let registry: Registry;
  let executor: ServusExecutor;

  beforeAll(async () => {
    registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusTestingModule.forRoot({ async: 'inline', queues: ['default', 'low'] }),
        ServusMetricsModule.forRoot({ registry, defaultMetrics: false, path: false }),
        MetricsFixtures,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
  });

  afterAll(() => app?.close());

  it('registers every metric on the given registry, and nothing else when defaultMetrics is false', async () => {
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    expect(names).toEqual([
      'servus_call_duration_seconds',
      'servus_calls_total',
      'servus_job_locks_lost_total',
      'servus_jobs_dead_total',
      'servus_jobs_enqueued_total',
      'servus_jobs_postponed_total',
      'servus_jobs_retried_total',
      'servus_queue_jobs',
    ]);
    expect(app.get(ServusMetrics).registry).toBe(registry);
  });

  it('counts each call once by outcome and code, and observes its duration', async () => {
    await executor.call(Ok, { n: 1 });
    await executor.call(Missing, {});
    await expect(executor.call(Throws, {})).rejects.toThrow(RangeError);
    expect(
      await value(registry, 'servus_calls_total', { service: 'm.ok', queue: '', outcome: 'success', code: '' }),
    ).toBe(1);
    expect(
      await value(registry, 'servus_calls_total', {
        service: 'm.missing',
        queue: '',
        outcome: 'failure',
        code: 'not_found',
      }),
    ).toBe(1);
    expect(
      await value(registry, 'servus_calls_total', {
        service: 'm.throws',
        queue: '',
        outcome: 'exception',
        code: 'RangeError',
      }),
    ).toBe(1);
    const histogram = (await registry.getSingleMetric('servus_call_duration_seconds')!.get()).values;
    const count = histogram.find(
      (sample) =>
        (sample as { metricName?: string }).metricName === 'servus_call_duration_seconds_count' &&
        sample.labels.service === 'm.ok',
    );
    expect(count?.value).toBe(1);
  });

  it('counts jobs enqueued, their runs under the queue, retries and dead jobs', async () => {
    await executor.callAsync(Ok, { n: 2 });
    await executor.callAsync(Flaky, {});
    await executor.callAsyncMany([{ service: Down, args: {} }]);
    expect(await value(registry, 'servus_jobs_enqueued_total', { service: 'm.ok', queue: 'default' })).toBe(1);
    expect(await value(registry, 'servus_jobs_enqueued_total', { service: 'm.flaky', queue: 'low' })).toBe(1);
    expect(await value(registry, 'servus_jobs_enqueued_total', { service: 'm.down', queue: 'default' })).toBe(1);
    expect(
      await value(registry, 'servus_calls_total', { service: 'm.ok', queue: 'default', outcome: 'success', code: '' }),
    ).toBe(1);
    expect(
      await value(registry, 'servus_calls_total', {
        service: 'm.flaky',
        queue: 'low',
        outcome: 'failure',
        code: 'service_unavailable',
      }),
    ).toBe(2);
    expect(
      await value(registry, 'servus_calls_total', { service: 'm.flaky', queue: 'low', outcome: 'success', code: '' }),
    ).toBe(1);
    expect(await value(registry, 'servus_jobs_retried_total', { service: 'm.flaky', queue: 'low' })).toBe(2);
    expect(await value(registry, 'servus_jobs_dead_total', { service: 'm.flaky', queue: 'low' })).toBeUndefined();
    expect(await value(registry, 'servus_jobs_retried_total', { service: 'm.down', queue: 'default' })).toBe(1);
    expect(await value(registry, 'servus_jobs_dead_total', { service: 'm.down', queue: 'default' })).toBe(1);
  });

  it('reads queue depth at scrape time from the async adapter', async () => {
    // The calls of the test above: default holds Ok (completed) and Down (failed); low holds Flaky (completed).
    expect(await value(registry, 'servus_queue_jobs', { queue: 'default', state: 'completed' })).toBe(1);
    expect(await value(registry, 'servus_queue_jobs', { queue: 'default', state: 'failed' })).toBe(1);
    expect(await value(registry, 'servus_queue_jobs', { queue: 'low', state: 'completed' })).toBe(1);
    expect(await value(registry, 'servus_queue_jobs', { queue: 'low', state: 'waiting' })).toBe(0);
  });

  it('two apps on one registry share the metrics; queue depth comes from the one still open', async () => {
    const shared = new Registry();
    const boot = async (queues: string[]) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ServusTestingModule.forRoot({ queues }),
          ServusMetricsModule.forRoot({ registry: shared, defaultMetrics: false, path: false }),
          MetricsFixtures,
        ],
      }).compile();
      return moduleRef.createNestApplication({ logger: false }).init();
    };
    const first = await boot(['a1']);
    await first.get(ServusExecutor).call(Ok, { n: 1 });
    await first.close();
    const second = await boot(['b1', 'b2']);
    try {
      await second.get(ServusExecutor).call(Ok, { n: 2 });
      expect(
        await value(shared, 'servus_calls_total', { service: 'm.ok', queue: '', outcome: 'success', code: '' }),
      ).toBe(2);
      const depth = (await shared.getSingleMetric('servus_queue_jobs')!.get()).values;
      expect([...new Set(depth.map((sample) => sample.labels.queue))]).toEqual(['b1', 'b2']);
    } finally {
      await second.close();
    }
    expect((await shared.getSingleMetric('servus_queue_jobs')!.get()).values).toEqual([]);
  });

  it('stops counting once the app is closed (the observer is removed)', async () => {
    const other = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusTestingModule.forRoot(),
        ServusMetricsModule.forRoot({ registry: other, defaultMetrics: false, path: false }),
        MetricsFixtures,
      ],
    }).compile();
    const second = await moduleRef.createNestApplication({ logger: false }).init();
    const secondExecutor = second.get(ServusExecutor);
    await secondExecutor.call(Ok, { n: 1 });
    expect(await value(other, 'servus_calls_total', { service: 'm.ok', queue: '', outcome: 'success', code: '' })).toBe(
      1,
    );
    await second.close();
    await secondExecutor.call(Ok, { n: 1 });
    expect(await value(other, 'servus_calls_total', { service: 'm.ok', queue: '', outcome: 'success', code: '' })).toBe(
      1,
    );
  });
});
