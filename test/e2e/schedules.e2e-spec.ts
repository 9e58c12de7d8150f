import { INestApplicationContext, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { JobEnqueueError, Service, ServiceBase, ServusExecutor, ServusModuleOptions } from 'nestjs-servus';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { bootServus } from '../support/servus-app';

const runs: Array<{ service: string; args: unknown; at: number }> = [];

@Service({ name: 'schedules.tick' })
class Tick extends ServiceBase<{ label: string }, null> {
  async call(args: { label: string }) {
    runs.push({ service: 'schedules.tick', args, at: Date.now() });
    return this.success(null);
  }
}

@Service({ name: 'schedules.nightly', schedule: { cron: '0 3 * * *', tz: 'Europe/Paris', args: { full: true } } })
class Nightly extends ServiceBase<{ full: boolean }, null> {
  async call() {
    return this.success(null);
  }
}

@Module({ providers: [Tick, Nightly] })
class ScheduledModule {}

/** Schedules on BullMQ job schedulers, run by an in-process worker against the real Redis. */
describe('schedules', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];
  let prefix: string;

  const boot = async (options: ServusModuleOptions) => {
    const app = await bootServus({ connection: { url: REDIS_URL }, prefix, ...options }, [ScheduledModule]);
    apps.push(app);
    return app.get(ServusExecutor);
  };

  beforeEach(() => {
    prefix = uniquePrefix('schedules');
    runs.length = 0;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  it('every: a 1-second schedule fires twice; scheduling again keeps one scheduler; unschedule stops it', async () => {
    const executor = await boot({ worker: { concurrency: 1 } });
    const info = await executor.schedule(Tick, { label: 'heartbeat' }, { id: 'heartbeat', every: '1s' });
    expect(info).toMatchObject({
      id: 'heartbeat',
      queue: 'default',
      service: 'schedules.tick',
      every: 1000,
      next: expect.any(Number),
    });
    await executor.schedule(Tick, { label: 'heartbeat' }, { id: 'heartbeat', every: '1s' });
    expect((await executor.schedules()).filter((schedule) => schedule.id === 'heartbeat')).toHaveLength(1);

    await eventually(async () => runs.length >= 2, 6_000, 'two runs');
    expect(runs.slice(0, 2).map((run) => run.args)).toEqual([{ label: 'heartbeat' }, { label: 'heartbeat' }]);
    expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(700);

    expect(await executor.unschedule('heartbeat')).toBe(true);
    expect(await executor.unschedule('heartbeat')).toBe(false);
    const after = runs.length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(runs.length).toBeLessThanOrEqual(after + 1); // at most the run already queued
  });

  it('@Service({ schedule }) is upserted by each worker at boot: two boots, one scheduler', async () => {
    await boot({ worker: true });
    const executor = await boot({ worker: true });
    const nightly = (await executor.schedules()).filter((schedule) => schedule.service === 'schedules.nightly');
    expect(nightly).toEqual([
      {
        id: 'schedules.nightly',
        queue: 'default',
        service: 'schedules.nightly',
        cron: '0 3 * * *',
        tz: 'Europe/Paris',
        next: expect.any(Number),
      },
    ]);
  });

  it('refuses a schedule without every or cron, or with bad arguments, before touching Redis', async () => {
    const executor = await boot({});
    await expect(executor.schedule(Tick, { label: 'x' }, {})).rejects.toThrow(
      new JobEnqueueError('schedules.tick', 'a schedule needs either every or cron'),
    );
    await expect(executor.schedule(Tick, { label: new Date() as never }, { every: 1000 })).rejects.toThrow(
      /args.label is a Date/,
    );
    await expect(executor.schedule(Tick, { label: 'x' }, { every: 'often' })).rejects.toThrow(
      /"often" is not a duration/,
    );
  });

  it.each([
    ['a cron pattern', { cron: 'every monday' }],
    ['a time zone', { cron: '0 3 * * *', tz: 'Mars/Olympus' }],
    ['an empty cron pattern', { cron: '' }],
  ])("refuses %s BullMQ cannot read as the caller's mistake (kind refused), writing nothing", async (_, options) => {
    const executor = await boot({});
    const error = await executor.schedule(Tick, { label: 'x' }, { id: 'bad', ...options }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(JobEnqueueError);
    expect((error as JobEnqueueError).kind).toBe('refused');
    expect((error as Error).message).toMatch(/^Could not enqueue schedules\.tick: cron ".*" .*cannot be read/);
    expect(await executor.schedules()).toEqual([]);
  });
});
