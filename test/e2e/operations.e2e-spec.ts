import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  NotFoundError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceUnavailableError,
  ServusExecutor,
  ServusModule,
} from 'nestjs-servus';
import { ServusWorker } from 'nestjs-servus/extend';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { listenLocal } from '../support/free-port';

class UpstreamDown extends Error {}

@Service({ name: 'ops.ok' })
class Ok extends ServiceBase<{ n: number }, { n: number }> {
  async call(args: { n: number }) {
    return this.success(args);
  }
}

@Service({ name: 'ops.missing' })
class Missing extends ServiceBase<{ id: number }, never> {
  async call(args: { id: number }) {
    return this.failure(`No thing ${args.id}`, NotFoundError);
  }
}

@Service({ name: 'ops.boom' })
class Boom extends ServiceBase<Record<string, never>, never> {
  async call(): Promise<never> {
    throw new TypeError('boom');
  }
}

/** Always a retryable failure: 3 attempts, so 2 retries, then dead. */
@Service({ name: 'ops.flaky', queue: 'low', async: { attempts: 3, backoff: 1 } })
@RescueFrom(UpstreamDown, { use: ServiceUnavailableError })
class Flaky extends ServiceBase<Record<string, never>, never> {
  async call(): Promise<never> {
    throw new UpstreamDown('upstream down');
  }
}

@Module({ providers: [Ok, Missing, Boom, Flaky] })
class OpsModule {}

/** One Nest HTTP app, as an api that is also a worker: Servus + metrics + health, on `redisUrl`. */
async function startApp(
  prefix: string,
  redisUrl: string,
  registry: Registry,
): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ServusModule.forRoot({
        connection: { url: redisUrl },
        prefix,
        queues: ['default', 'low'],
        worker: { concurrency: 2, shutdownTimeoutMs: 2000 },
        logging: false,
      }),
      ServusMetricsModule.forRoot({ registry }),
      ServusHealthModule.forRoot(),
      OpsModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  return { app, base: await listenLocal(app) };
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
};

/** The value of one sample line of the Prometheus text, e.g. `servus_calls_total{service="ops.ok",...}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2].split(',');
    if (wanted.every((pair) => present.includes(pair)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('operations: /metrics after known calls', () => {
  // A hash-tagged prefix, as on Redis Cluster (every key of every queue in one slot): it must work the same.
  const prefix = `{${uniquePrefix('ops-metrics')}}`;
  const redis = new Redis(REDIS_URL);
  const registry = new Registry();
  let app: INestApplication;
  let base: string;
  let executor: ServusExecutor;

  beforeAll(async () => {
    ({ app, base } = await startApp(prefix, REDIS_URL, registry));
    executor = app.get(ServusExecutor);
  });

  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('counts sync calls by outcome and code, with durations, under queue=""', async () => {
    await executor.call(Ok, { n: 1 });
    await executor.call(Ok, { n: 2 });
    await executor.call(Missing, { id: 7 });
    await expect(executor.call(Boom, {})).rejects.toThrow('boom');

    const { status, text, type } = await get(`${base}/metrics`);
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(sample(text, 'servus_calls_total', { service: 'ops.ok', queue: '', outcome: 'success', code: '' })).toBe(2);
    expect(
      sample(text, 'servus_calls_total', { service: 'ops.missing', queue: '', outcome: 'failure', code: 'not_found' }),
    ).toBe(1);
    expect(
      sample(text, 'servus_calls_total', { service: 'ops.boom', queue: '', outcome: 'exception', code: 'TypeError' }),
    ).toBe(1);
    expect(
      sample(text, 'servus_call_duration_seconds_count', { service: 'ops.ok', queue: '', outcome: 'success' }),
    ).toBe(2);
    expect(
      sample(text, 'servus_call_duration_seconds_bucket', {
        le: '+Inf',
        service: 'ops.ok',
        queue: '',
        outcome: 'success',
      }),
    ).toBe(2);
    const seconds = sample(text, 'servus_call_duration_seconds_sum', {
      service: 'ops.ok',
      queue: '',
      outcome: 'success',
    })!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(1);
    // Node's process metrics come along (collectDefaultMetrics on this registry).
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('counts jobs enqueued, run per queue, retried and dead, and reads queue depth from Redis', async () => {
    const receipts = [
      await executor.callAsync(Ok, { n: 3 }),
      ...(await executor.callAsyncMany([
        { service: Ok, args: { n: 4 } },
        { service: Missing, args: { id: 8 } },
      ])),
    ];
    const flaky = await executor.callAsync(Flaky, {});
    for (const receipt of receipts) await executor.result(receipt, { timeoutMs: 10_000 });
    expect((await executor.result(flaky, { timeoutMs: 10_000 })).success).toBe(false);

    let text = '';
    // The worker's 'failed' listener runs after the job's state is stored: wait for the third attempt's count.
    await eventually(
      async () =>
        sample((text = (await get(`${base}/metrics`)).text), 'servus_jobs_dead_total', {
          service: 'ops.flaky',
          queue: 'low',
        }) === 1,
      5000,
      'dead count',
    );
    expect(sample(text, 'servus_jobs_enqueued_total', { service: 'ops.ok', queue: 'default' })).toBe(2);
    expect(sample(text, 'servus_jobs_enqueued_total', { service: 'ops.missing', queue: 'default' })).toBe(1);
    expect(sample(text, 'servus_jobs_enqueued_total', { service: 'ops.flaky', queue: 'low' })).toBe(1);
    expect(
      sample(text, 'servus_calls_total', { service: 'ops.ok', queue: 'default', outcome: 'success', code: '' }),
    ).toBe(2);
    expect(
      sample(text, 'servus_calls_total', {
        service: 'ops.missing',
        queue: 'default',
        outcome: 'failure',
        code: 'not_found',
      }),
    ).toBe(1);
    expect(
      sample(text, 'servus_calls_total', {
        service: 'ops.flaky',
        queue: 'low',
        outcome: 'failure',
        code: 'service_unavailable',
      }),
    ).toBe(3);
    expect(sample(text, 'servus_jobs_retried_total', { service: 'ops.flaky', queue: 'low' })).toBe(2);
    expect(sample(text, 'servus_jobs_dead_total', { service: 'ops.ok', queue: 'default' })).toBeUndefined();
    // Sync counts from the first test are still there, apart from the job ones.
    expect(sample(text, 'servus_calls_total', { service: 'ops.ok', queue: '', outcome: 'success', code: '' })).toBe(2);

    expect(sample(text, 'servus_queue_jobs', { queue: 'default', state: 'completed' })).toBe(3);
    expect(sample(text, 'servus_queue_jobs', { queue: 'default', state: 'waiting' })).toBe(0);
    expect(sample(text, 'servus_queue_jobs', { queue: 'low', state: 'failed' })).toBe(1);
    expect(sample(text, 'servus_queue_jobs', { queue: 'low', state: 'completed' })).toBe(0);
  });

  it('queue depth counts a delayed job', async () => {
    await app.get(ServusExecutor).callAsync(Ok, { n: 5 }, { wait: '1m' });
    const { text } = await get(`${base}/metrics`);
    expect(sample(text, 'servus_queue_jobs', { queue: 'default', state: 'delayed' })).toBe(1);
  });
});

describe('operations: /health', () => {
  const prefix = uniquePrefix('ops-health');
  let server: RedisServer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    server = await RedisServer.start();
    ({ app, base } = await startApp(prefix, server.url(), new Registry()));
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('is ready while Redis answers and the worker consumes every queue; liveness has no dependency', async () => {
    const ready = await get(`${base}/health`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'ok',
      details: {
        redis: { status: 'up' },
        worker: { status: 'up', queues: { default: 'consuming', low: 'consuming' } },
      },
    });
    expect((await get(`${base}/health/ready`)).status).toBe(200);
    expect(JSON.parse((await get(`${base}/health/live`)).text)).toEqual({
      status: 'ok',
      info: {},
      error: {},
      details: {},
    });
  });

  it('turns unready (503, naming Redis and the worker) when Redis stops, stays live, and ready again when it is back', async () => {
    await server.kill();
    let body: any;
    await eventually(
      async () => {
        const response = await get(`${base}/health`);
        body = JSON.parse(response.text);
        return response.status === 503 && body.details.worker?.status === 'down';
      },
      10_000,
      '/health 503',
    );
    expect(body.status).toBe('error');
    // Named, without the driver's own error (that is in the log).
    expect(body.error.redis).toEqual({ status: 'down', message: 'Redis did not answer' });
    expect(body.error.worker).toMatchObject({
      status: 'down',
      message: 'not consuming every queue',
      queues: { default: 'disconnected', low: 'disconnected' },
    });
    expect((await get(`${base}/health/live`)).status).toBe(200);
    // /metrics still answers without Redis: the depth series are left out.
    const metrics = await get(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(sample(metrics.text, 'servus_queue_jobs', { queue: 'default', state: 'waiting' })).toBeUndefined();

    await server.restart();
    await eventually(async () => (await get(`${base}/health`)).status === 200, 15_000, '/health 200 again');
  });

  it('turns unready while the worker drains (SIGTERM), so an orchestrator stops routing to it', async () => {
    await app.get(ServusWorker).drain();
    const response = await get(`${base}/health`);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.text).error.worker).toEqual({
      status: 'down',
      message: 'no worker is consuming in this process',
      queues: {},
    });
    expect((await get(`${base}/health/live`)).status).toBe(200);
  });
});
