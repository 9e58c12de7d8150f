import { INestApplicationContext, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  JobEnqueueError,
  Service,
  ServiceBase,
  ServusContext,
  ServusExecutor,
  ServusModuleOptions,
} from 'nestjs-servus';
import { deletePrefix, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { bootServus } from '../support/servus-app';

/** What the service saw of its context: own keys, values, and whether any prototype changed. */
@Service({ name: 'context.probe' })
class ContextProbe extends ServiceBase<Record<string, unknown>, Record<string, unknown>> {
  call() {
    const current = ServusContext.current() ?? {};
    return this.success({
      keys: Object.keys(current),
      values: { ...current },
      contextPrototypeIsObject: Object.getPrototypeOf(current) === Object.prototype,
      polluted: ({} as Record<string, unknown>).polluted ?? null,
    });
  }
}

@Module({ providers: [ContextProbe] })
class ProbeModule {}

/**
 * The context a job carries is foreign data (anyone who can write to Redis writes it): the
 * worker restores only the correlation id and the keys the module carries, with bounded
 * values, and never a prototype key. Jobs are written by a raw BullMQ Queue.
 */
describe('job context restored in the worker', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];
  let prefix: string;
  let queue: Queue;

  const boot = async (options: ServusModuleOptions = {}): Promise<ServusExecutor> => {
    const app = await bootServus(
      { connection: { url: REDIS_URL }, prefix, context: { carry: ['tenantId'] }, ...options },
      [ProbeModule],
    );
    apps.push(app);
    return app.get(ServusExecutor);
  };
  const run = async (context: unknown) => {
    const job = await queue.add(
      'context.probe',
      { service: 'context.probe', args: {}, metadata: { v: 1, context } },
      { attempts: 3, backoff: 10 },
    );
    const done = await waitForJob(queue, job.id!);
    return { state: await done.getState(), attemptsMade: done.attemptsMade, done };
  };

  beforeEach(() => {
    prefix = uniquePrefix('job-context');
    queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
  });
  afterEach(async () => {
    await queue.close();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  it('restores only correlationId and the carried keys of 10,000, and no prototype key', async () => {
    await boot({ worker: true });
    const context: Record<string, unknown> = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":"p","correlationId":"c-1","tenantId":"acme"}',
    );
    for (let i = 0; i < 10_000; i++) context[`key${i}`] = `value ${i}`;
    expect(Object.keys(context)).toHaveLength(10_005);

    const { state, attemptsMade, done } = await run(context);
    expect([state, attemptsMade]).toEqual(['completed', 1]);
    expect(done.returnvalue).toEqual({
      success: true,
      data: {
        keys: ['correlationId', 'tenantId'],
        values: { correlationId: 'c-1', tenantId: 'acme' },
        contextPrototypeIsObject: true,
        polluted: null,
      },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a worker without carried keys restores the correlation id only', async () => {
    await boot({ worker: true, context: undefined });
    const { done } = await run({ correlationId: 'c-2', tenantId: 'acme', role: 'admin' });
    expect((done.returnvalue as { data: { values: unknown } }).data.values).toEqual({ correlationId: 'c-2' });
  });

  it('refuses, without retry, a job whose carried value is over the size limit or not a JSON primitive', async () => {
    await boot({ worker: true });
    const long = await run({ correlationId: 'c-3', tenantId: 't'.repeat(1025) });
    const nested = await run({ correlationId: { $ne: null }, tenantId: 'acme' });
    expect([long.state, long.attemptsMade, long.done.failedReason]).toEqual([
      'failed',
      1,
      'Undecodable job payload: "metadata.context.tenantId" is 1025 characters long, over the limit of 1024',
    ]);
    expect([nested.state, nested.attemptsMade, nested.done.failedReason]).toEqual([
      'failed',
      1,
      'Undecodable job payload: "metadata.context.correlationId" must be a string, a number, a boolean or null, got an object',
    ]);
    // A key the worker does not carry is not read at all: its value does not matter.
    const ignored = await run({ correlationId: 'c-4', other: 'x'.repeat(5000), deep: { a: [1] } });
    expect(ignored.state).toBe('completed');
  });

  it('callAsync refuses to carry what a worker would refuse', async () => {
    const executor = await boot();
    await expect(
      ServusContext.run({ correlationId: 'c-5', tenantId: 't'.repeat(1025) }, () =>
        executor.callAsync(ContextProbe, {}),
      ),
    ).rejects.toThrow(
      new JobEnqueueError('context.probe', 'context.tenantId is 1025 characters long, over the limit of 1024'),
    );
    await expect(
      ServusContext.run({ correlationId: 'c-6', tenantId: { id: 1 } as never }, () =>
        executor.callAsync(ContextProbe, {}),
      ),
    ).rejects.toThrow(
      new JobEnqueueError(
        'context.probe',
        'context.tenantId must be a string, a number, a boolean or null, got an object',
      ),
    );
  });

  it.each([
    [['__proto__'], 'ServusModule: context.carry may not name "__proto__" (a prototype key)'],
    [['constructor'], 'ServusModule: context.carry may not name "constructor" (a prototype key)'],
    [['prototype'], 'ServusModule: context.carry may not name "prototype" (a prototype key)'],
    [[''], 'ServusModule: context.carry[] must be a non-empty string of at most 64 characters, got ""'],
    [['tenantId', 'tenantId'], 'ServusModule: context.carry lists "tenantId" twice'],
    [Array.from({ length: 33 }, (_, i) => `k${i}`), 'ServusModule: context.carry may list at most 32 keys, got 33'],
  ])('refuses context.carry %j at boot', async (carry, message) => {
    await expect(boot({ context: { carry } })).rejects.toThrow(message);
  });
});
