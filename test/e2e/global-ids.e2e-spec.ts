import { INestApplicationContext, LoggerService, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Repository } from 'typeorm';
import { JobEnqueueError, Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { Report, ReportsDatabaseModule, ReportsModule, Sale } from '@app/reports';
import { deletePrefix, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';

interface InspectArgs {
  report: Report;
  nested: { report: Report };
  list: Report[];
  label: string;
}

let lastArgs: InspectArgs | undefined;

@Service({ name: 'globalid.inspect' })
class Inspect extends ServiceBase<InspectArgs, Record<string, unknown>> {
  async call(args: InspectArgs) {
    lastArgs = args;
    const all = [args.report, args.nested.report, ...args.list];
    return this.success({
      entities: all.every((report) => report instanceof Report),
      ids: all.map((report) => report.id),
      statuses: all.map((report) => report.status),
      label: args.label,
    });
  }
}

@Module({ providers: [Inspect] })
class InspectModule {}

/** Entities as callAsync arguments: the example's Report (TypeORM, PostgreSQL) through a real Redis and an in-process worker. */
describe('global ids: entities passed to callAsync', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('gid');
  const lines: string[] = [];
  const logger: LoggerService = {
    log: (m) => lines.push(String(m)),
    warn: (m) => lines.push(String(m)),
    error: (m) => lines.push(String(m)),
    debug: (m) => lines.push(String(m)),
  };
  let app: INestApplicationContext;
  let executor: ServusExecutor;
  let reports: Repository<Report>;
  let queue: Queue;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusModule.forRoot({ connection: { url: REDIS_URL }, prefix, worker: { concurrency: 2 } }),
        ReportsDatabaseModule.forRoot({ migrationsRun: true }),
        ReportsModule,
        InspectModule,
      ],
    })
      .setLogger(logger)
      .compile();
    app = await moduleRef.init();
    executor = app.get(ServusExecutor);
    reports = app.get(getRepositoryToken(Report));
    queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
  });
  afterAll(async () => {
    await queue?.close();
    await app?.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const newReport = () => reports.save(reports.create({ userId: 1, from: '2026-11-01', to: '2026-11-30' }));

  it('top level, nested and in an array: the job carries global ids, the worker gets the rows as they are then', async () => {
    const [a, b] = [await newReport(), await newReport()];
    const receipt = await executor.callAsync(
      Inspect,
      { report: a, nested: { report: b }, list: [a, b], label: 'plain' },
      { wait: 400 },
    );
    const stored = (await Job.fromId(queue, receipt.jobId))!;
    expect(stored.data.args).toEqual({
      report: `gid://servus/Report/${a.id}`,
      nested: { report: `gid://servus/Report/${b.id}` },
      list: [`gid://servus/Report/${a.id}`, `gid://servus/Report/${b.id}`],
      label: 'plain',
    });
    await reports.update(b.id, { status: 'completed' }); // after the enqueue, before the run
    const result = await executor.result(receipt, { timeoutMs: 10_000 });
    expect(result).toBeSuccess({
      entities: true,
      ids: [a.id, b.id, a.id, b.id],
      statuses: ['pending', 'completed', 'pending', 'completed'],
      label: 'plain',
    });
    expect(lastArgs!.list[0]).toBe(lastArgs!.report); // one load per id
    expect(
      lines.find((line) => line.startsWith(`globalid.inspect (job ${receipt.jobId} `) && line.includes('called with')),
    ).toContain(`gid://servus/Report/${a.id}`);
    expect(lines.join('\n')).not.toContain('"userId":1,"from"');
  });

  it("a caller's string that uses the reserved tag stays a string (escaped in the job)", async () => {
    const a = await newReport();
    const receipt = await executor.callAsync(Inspect, {
      report: a,
      nested: { report: a },
      list: [],
      label: 'gid://servus/Report/1',
    });
    expect((await Job.fromId(queue, receipt.jobId))!.data.args.label).toBe('gid://servus/!gid://servus/Report/1');
    expect(await executor.result(receipt, { timeoutMs: 10_000 })).toBeSuccess(
      expect.objectContaining({ label: 'gid://servus/Report/1' }),
    );
  });

  it('a row deleted before the job runs fails it at once, naming Report and the id', async () => {
    const gone = await newReport();
    const receipt = await executor.callAsync(
      Inspect,
      { report: gone, nested: { report: gone }, list: [], label: '' },
      { wait: 300, attempts: 3 },
    );
    await reports.delete(gone.id);
    const job = await waitForJob(queue, receipt.jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(`Report ${gone.id} no longer exists (global id gid://servus/Report/${gone.id})`);
  });

  it('an instance of a class without a locator is still refused at callAsync, by path', async () => {
    const sale = Object.assign(new Sale(), { id: 1, userId: 1, day: '2026-11-02', amountCents: 1 });
    await expect(executor.callAsync('globalid.inspect', { report: sale })).rejects.toThrow(
      new JobEnqueueError(
        'globalid.inspect',
        'args.report is an instance of Sale: pass a plain object (or declare a DTO that rebuilds it)',
      ),
    );
  });

  it('a sync call passes instances through untouched', async () => {
    const a = await newReport();
    await executor.call(Inspect, { report: a, nested: { report: a }, list: [a], label: 'gid://servus/Report/1' });
    expect(lastArgs!.report).toBe(a);
    expect(lastArgs!.label).toBe('gid://servus/Report/1');
  });
});
