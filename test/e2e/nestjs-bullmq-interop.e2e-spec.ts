import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import {
  BullModule,
  InjectQueue,
  OnQueueEvent,
  Processor,
  QueueEventsHost,
  QueueEventsListener,
  WorkerHost,
} from '@nestjs/bullmq';
import { INestApplication, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { basicAuthMiddleware, ServusDashboardModule } from 'nestjs-servus/dashboard';
import { listenLocal } from '../support/free-port';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';

/** A database no other suite uses: Servus must find its keys there only if it took BullModule's connection. */
const DB = 7;

/** The app's own @nestjs/bullmq consumer, on a queue Servus knows nothing of. */
@Processor('emails')
class EmailProcessor extends WorkerHost {
  process(job: Job<{ to: string }>): Promise<{ sent: string }> {
    return Promise.resolve({ sent: job.data.to });
  }
}

/** The app's own listener on a Servus queue (exposed): it reads that queue's events from its first one. */
@QueueEventsListener('default', { lastEventId: '0-0' })
class ServusQueueWatcher extends QueueEventsHost {
  readonly completed: string[] = [];

  @OnQueueEvent('completed')
  onCompleted({ jobId }: { jobId: string }): void {
    this.completed.push(jobId);
  }
}

@Service({ name: 'interop.sign-up' })
class SignUp extends ServiceBase<{ email: string; password: string }, { welcome: string }> {
  call(args: { email: string; password: string }) {
    return Promise.resolve(this.success({ welcome: args.email }));
  }
}

@Service({ name: 'interop.charge' })
class Charge extends ServiceBase<{ password: string }, null> {
  call(): never {
    // An exception whose text holds a password (in a driver's URL): it reaches failedReason and the stack trace.
    throw new Error('charge failed: postgres://app:reason-pw-31@10.0.0.5/pay refused');
  }
}

/** What an app on @nestjs/bullmq writes: its own queue and a Servus queue, both by @InjectQueue. */
@Injectable()
class Mailer {
  constructor(
    @InjectQueue('emails') readonly emails: Queue,
    @InjectQueue('default') readonly servusDefault: Queue,
  ) {}
}

@Module({
  imports: [BullModule.registerQueue({ name: 'emails' })],
  providers: [EmailProcessor, ServusQueueWatcher, SignUp, Charge, Mailer],
})
class FeatureModule {}

/**
 * A Nest app already on @nestjs/bullmq and bull-board adds Servus: Servus takes Redis from
 * BullModule.forRoot, both workers run, a Servus queue is injected with @InjectQueue, and the app's
 * one board lists its queue and Servus's. Real Redis.
 */
describe('Servus in an app on @nestjs/bullmq', () => {
  const prefix = uniquePrefix('bullmq-interop');
  const credentials = { username: 'ops', password: `pw-${randomBytes(6).toString('hex')}` };
  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const redis = new Redis(REDIS_URL, { db: DB });
  const defaultDb = new Redis(REDIS_URL);
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        // The prefix and database are set here only: Servus is given neither.
        BullModule.forRoot({ connection: { url: REDIS_URL, db: DB }, prefix }),
        ServusModule.forRoot({
          bullmq: { exposeQueues: ['default'] },
          queues: ['default', 'critical'],
          worker: true,
          logging: false,
        }),
        BullBoardModule.forRoot({
          route: '/admin/queues',
          adapter: ExpressAdapter,
          middleware: basicAuthMiddleware(credentials),
        }),
        BullBoardModule.forFeature({ name: 'emails', adapter: BullMQAdapter }),
        ServusDashboardModule.forFeature({ readOnly: false }), // writes on: the redacted-write refusal is what is shown
        FeatureModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    base = await listenLocal(app);
  });

  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, prefix);
    await Promise.all([redis.quit(), defaultDb.quit()]);
  });

  it("puts Servus's jobs under BullModule's prefix, in BullModule's database", async () => {
    const receipt = await app.get(ServusExecutor).callAsync(SignUp, { email: 'ann@example.com', password: 'pw' });
    expect(receipt.queue).toBe('default');
    expect(await redis.exists(`${prefix}:default:${receipt.jobId}`)).toBe(1);
    expect(await defaultDb.keys(`${prefix}*`)).toEqual([]);
  });

  it("runs both the app's @Processor and Servus's worker", async () => {
    const mailer = app.get(Mailer);
    const email = await mailer.emails.add('welcome', { to: 'bo@example.com' });
    expect((await waitForJob(mailer.emails, email.id!, ['completed'])).returnvalue).toEqual({ sent: 'bo@example.com' });

    const receipt = await app.get(ServusExecutor).callAsync(SignUp, { email: 'cy@example.com', password: 'pw' });
    const job = await waitForJob(mailer.servusDefault, receipt.jobId, ['completed']);
    expect(job.returnvalue).toMatchObject({ success: true, data: { welcome: 'cy@example.com' } });
  });

  it('injects a Servus queue with @InjectQueue, and the app’s @QueueEventsListener hears its jobs', async () => {
    const queue = app.get(Mailer).servusDefault;
    expect(queue.name).toBe('default');
    expect(queue.opts.prefix).toBe(prefix);
    const receipt = await app.get(ServusExecutor).callAsync(SignUp, { email: 'di@example.com', password: 'pw' });
    const job = await queue.getJob(receipt.jobId);
    expect(job).toMatchObject({ name: 'interop.sign-up', data: { service: 'interop.sign-up' } });
    const watcher = app.get(ServusQueueWatcher);
    await eventually(async () => Promise.resolve(watcher.completed.includes(receipt.jobId)), 20_000, 'completed event');
    expect((await queue.getJobCounts('completed')).completed).toBeGreaterThanOrEqual(1);
  });

  describe("the app's one bull-board", () => {
    it("lists the app's queue and Servus's, behind the app's middleware", async () => {
      expect((await fetch(`${base}/admin/queues/api/queues`)).status).toBe(401);
      const response = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { queues: Array<{ name: string }> };
      expect(body.queues.map((queue) => queue.name).sort()).toEqual(['critical', 'default', 'emails']);
    });

    it("shows Servus's jobs redacted, and refuses to write the redacted copy back", async () => {
      const { jobId } = await app
        .get(ServusExecutor)
        .callAsync(SignUp, { email: 'ed@example.com', password: 'hunter2' });
      await waitForJob(app.get(Mailer).servusDefault, jobId, ['completed']);
      const listed = await fetch(
        `${base}/admin/queues/api/queues?activeQueue=default&status=completed&page=1&jobsPerPage=50`,
        { headers: { authorization } },
      );
      const body = (await listed.json()) as { queues: Array<{ name: string; jobs: Array<{ id: string }> }> };
      const job = body.queues.find((queue) => queue.name === 'default')!.jobs.find((item) => item.id === jobId);
      expect(job).toMatchObject({ data: { args: { email: 'ed@example.com', password: '[REDACTED]' } } });
      expect(JSON.stringify(body)).not.toContain('hunter2');

      // The app's board has none of Servus's hooks: the refusal comes from Servus's queue adapter.
      const edited = await fetch(`${base}/admin/queues/api/queues/default/${jobId}/update-data`, {
        method: 'PATCH',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ jobData: { service: 'interop.sign-up', args: { password: '[REDACTED]' } } }),
      });
      expect(edited.status).toBe(400);
      expect(((await edited.json()) as { message: string }).message).toContain(
        'the dashboard shows secrets redacted and cannot write them back',
      );
      expect((await app.get(Mailer).servusDefault.getJob(jobId))!.data).toMatchObject({
        args: { password: 'hunter2' },
      });
    });

    it("redacts a password in a failed job's data, failure reason, stack trace, job logs and in schedules, as Servus's own board does", async () => {
      const executor = app.get(ServusExecutor);
      const queue = app.get(Mailer).servusDefault;
      const { jobId } = await executor.callAsync(Charge, { password: 'data-pw-11' }, { attempts: 1 });
      const failed = await waitForJob(queue, jobId, ['failed']);
      expect(failed.failedReason).toContain('reason-pw-31');
      expect(failed.stacktrace?.[0]).toContain('reason-pw-31');
      await queue.addJobLog(jobId, 'retrying with postgres://app:log-pw-52@10.0.0.5/pay');
      await executor.schedule(
        SignUp,
        { email: 'cron@example.com', password: 'sched-pw-9' },
        { id: 'interop-nightly', cron: '0 3 * * *' },
      );
      try {
        const paths = [
          '/admin/queues/api/queues?activeQueue=default&status=failed&page=1&jobsPerPage=50',
          `/admin/queues/api/queues/default/${jobId}`,
          `/admin/queues/api/queues/default/${jobId}/logs`,
          '/admin/queues/api/job-schedulers',
        ];
        const shown = await Promise.all(
          paths.map(async (path) => {
            const response = await fetch(`${base}${path}`, { headers: { authorization } });
            expect(response.status).toBe(200);
            return JSON.stringify(await response.json());
          }),
        );
        const [list, detail, logs, schedulers] = shown;
        for (const text of [list, detail]) {
          expect(text).toContain('"password":"[REDACTED]"');
          expect(text).toContain('charge failed: postgres://[REDACTED]@10.0.0.5/pay refused');
        }
        expect(logs).toContain('retrying with postgres://[REDACTED]@10.0.0.5/pay');
        expect(schedulers).toContain('cron@example.com');
        expect(schedulers).toContain('"password":"[REDACTED]"');
        for (const text of shown) expect(text).not.toMatch(/data-pw-11|reason-pw-31|log-pw-52|sched-pw-9/);
      } finally {
        await executor.unschedule('interop-nightly');
      }
    });

    it("refuses to change a schedule's timing from the board (its template stays signed for every run)", async () => {
      const executor = app.get(ServusExecutor);
      const queue = app.get(Mailer).servusDefault;
      await executor.schedule(
        SignUp,
        { email: 'hourly@example.com', password: 'pw' },
        { id: 'interop-hourly', every: '1h' },
      );
      try {
        const response = await fetch(`${base}/admin/queues/api/queues/default/job-schedulers/interop-hourly`, {
          method: 'PATCH',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ every: 1 }),
        });
        expect(response.status).toBe(405);
        expect(await response.json()).toEqual({ error: { key: 'ERRORS.JOB_SCHEDULER_EDIT_NOT_SUPPORTED' } });
        expect(await queue.getJobScheduler('interop-hourly')).toMatchObject({ every: 3_600_000 });
      } finally {
        await executor.unschedule('interop-hourly');
      }
    });

    it("redacts a job's progress through /flow, its options, idempotency key and deferred failure", async () => {
      const executor = app.get(ServusExecutor);
      const queue = app.get(Mailer).servusDefault;
      const idempotencyKey = 'charge:postgres://app:idem-pw-7@10.0.0.5/pay';
      const { jobId } = await executor.callAsync(
        SignUp,
        { email: 'fi@example.com', password: 'pw' },
        { idempotencyKey, wait: '1m' },
      );
      const job = (await queue.getJob(jobId))!;
      await job.updateProgress({ step: 2, password: 'progress-pw-8' });
      // BullMQ's field for a failure it defers (`defa`), written as BullMQ writes it.
      await redis.hset(`${prefix}:default:${jobId}`, 'defa', 'deferred with postgres://app:deferred-pw-3@10.0.0.5/pay');
      try {
        expect((await queue.getJob(jobId))!.deferredFailure).toContain('deferred-pw-3');
        const paths = [
          `/admin/queues/api/queues/default/${jobId}/flow`,
          `/admin/queues/api/queues/default/${jobId}`,
          '/admin/queues/api/queues?activeQueue=default&status=delayed&page=1&jobsPerPage=50',
        ];
        const [flow, detail, list] = await Promise.all(
          paths.map(async (path) => {
            const response = await fetch(`${base}${path}`, { headers: { authorization } });
            expect(response.status).toBe(200);
            return JSON.stringify(await response.json());
          }),
        );
        // Servus makes no flows: the board reads no flow tree of its queues.
        expect(JSON.parse(flow)).toEqual({ nodeId: jobId, flowRoot: null, isFlowNode: false });
        for (const text of [detail, list]) {
          expect(text).toContain('"password":"[REDACTED]"');
          expect(text).toContain('"deduplicationId":"charge:postgres://[REDACTED]@10.0.0.5/pay"');
          expect(text).toContain('"deduplication":{"id":"charge:postgres://[REDACTED]@10.0.0.5/pay"');
          expect(text).toContain('"deferredFailure":"deferred with postgres://[REDACTED]@10.0.0.5/pay"');
        }
        for (const text of [flow, detail, list]) expect(text).not.toMatch(/progress-pw-8|idem-pw-7|deferred-pw-3/);
      } finally {
        await job.remove();
      }
    });
  });
});

/** An app processor on a queue name Servus also declares (same BullModule config, so same prefix and Redis). */
@Processor('critical')
class CriticalProcessor extends WorkerHost {
  process(): Promise<void> {
    return Promise.resolve();
  }
}

describe("an app's @Processor on a Servus queue", () => {
  const prefix = uniquePrefix('bullmq-collision');
  const redis = new Redis(REDIS_URL, { db: DB });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it("is refused at boot: it would take Servus's jobs", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        BullModule.forRoot({ connection: { url: REDIS_URL, db: DB }, prefix }),
        BullModule.registerQueue({ name: 'emails' }), // as any app on @nestjs/bullmq has: it starts the processors
        ServusModule.forRoot({ bullmq: {}, queues: ['default', 'critical'], logging: false }),
      ],
      providers: [CriticalProcessor],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await expect(app.init()).rejects.toThrow(
        `ServusModule: CriticalProcessor is a @Processor of "critical", a Servus queue under the same prefix ("${prefix}") and Redis: it would take Servus's jobs.`,
      );
    } finally {
      await app.close();
    }
  });
});

describe('ServusDashboardModule.forFeature refuses at boot', () => {
  async function boot(imports: Parameters<typeof Test.createTestingModule>[0]['imports']): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports }).compile();
    return moduleRef.createNestApplication({ logger: false });
  }
  const servus = () => ServusModule.forRoot({ connection: { url: REDIS_URL }, logging: false });

  it('without a bull-board in the app', async () => {
    const app = await boot([servus(), ServusDashboardModule.forFeature()]);
    await expect(app.init()).rejects.toThrow(
      "ServusDashboardModule.forFeature() adds Servus's queues to the app's bull-board, and there is none: import BullBoardModule.forRoot",
    );
    await app.close();
  });

  it('a board served without a middleware', async () => {
    const app = await boot([
      servus(),
      BullBoardModule.forRoot({ route: '/open-board', adapter: ExpressAdapter }),
      ServusDashboardModule.forFeature(),
    ]);
    await expect(app.init()).rejects.toThrow(
      'ServusDashboardModule.forFeature(): the bull-board at /open-board has no middleware',
    );
    await app.close();
  });
});
