import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ServusExecutor, TypeOrmOutboxStore } from 'nestjs-servus';
import { Echo, FixturesModule } from '../e2e/fixtures/fixture-services';
import { AppProcess } from '../support/app-process';
import { NOVEMBER_REPORT, postReport } from '../support/example-api';
import { faultSummary, since, sleep } from '../support/fault-summary';
import { freePort } from '../support/free-port';
import { outboxDataSource, outboxRows } from '../support/outbox-db';
import { RedisServer } from '../support/redis-server';
import { eventually, uniquePrefix } from '../support/redis-test-kit';
import { bootServus } from '../support/servus-app';

/**
 * Transactional enqueue under faults, with the example's api and worker as OS processes, a
 * redis-server of the test's own, and real PostgreSQL. Each case has its own Redis prefix, which
 * is also its outbox scope: rows of other suites in the same table are never touched.
 */
describe('faults: transactional enqueue (outbox)', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let dataSource: DataSource;
  const processes: AppProcess[] = [];
  const queues: Queue[] = [];
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    redis = new Redis(redisServer.url(), { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    dataSource = await outboxDataSource(); // the migrations, before any api boots
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((app) => app.stop('SIGKILL')));
    await Promise.allSettled(queues.splice(0).map((queue) => queue.close()));
    await Promise.allSettled(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.stop();
    await dataSource?.destroy();
  });

  const env = (prefix: string, extra: Record<string, string> = {}) => ({
    REDIS_URL: redisServer.url(),
    SERVUS_PREFIX: prefix,
    SERVUS_WORKER_HTTP_PORT: 'off',
    ...extra,
  });
  /** The example api (a relay only when SERVUS_OUTBOX_RELAY=on); resolves to its base URL. */
  const startApi = async (prefix: string, extra: Record<string, string> = {}) => {
    const port = await freePort();
    const api = await AppProcess.start(
      'apps/api/src/main.ts',
      { ...env(prefix, extra), PORT: String(port) },
      /Listening on/,
    );
    processes.push(api);
    return { api, base: `http://127.0.0.1:${port}` };
  };
  const startWorker = async (prefix: string, extra: Record<string, string> = {}) => {
    const worker = await AppProcess.start('apps/worker/src/main.ts', env(prefix, extra), /Worker consuming/, 60_000);
    processes.push(worker);
    return worker;
  };
  const queue = (prefix: string, name = 'default') => {
    const made = new Queue(name, {
      connection: { url: redisServer.url(), maxRetriesPerRequest: null },
      prefix,
    });
    made.on('error', () => undefined);
    queues.push(made);
    return made;
  };
  /** POSTs `count` reports, 10 at a time; every answer must be 202. */
  const postReports = async (base: string, count: number): Promise<number[]> => {
    const ids: number[] = [];
    for (let i = 0; i < count; i += 10) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, () => postReport(base, NOVEMBER_REPORT)),
      );
      for (const answer of answers) {
        const body = answer.body as { reportId: number; jobId: string };
        expect({ status: answer.status, jobId: body.jobId }).toEqual({ status: 202, jobId: `report-${body.reportId}` });
        ids.push(body.reportId);
      }
    }
    return ids;
  };
  const completedReports = async (ids: number[]) =>
    Number(
      (
        await dataSource.query<Array<{ n: string }>>(
          `SELECT count(*) AS n FROM reports WHERE id = ANY($1) AND status = 'completed'`,
          [ids],
        )
      )[0].n,
    );
  /** reports.generate runs that succeeded, per job id, from the worker's log lines. */
  const generatedPerJob = (output: string) => {
    const runs = new Map<string, number>();
    for (const [, jobId] of output.matchAll(
      /reports\.generate \(job (report-\d+) on default, attempt \d+\/\d+\)[^\n]*succeeded/g,
    ))
      runs.set(jobId, (runs.get(jobId) ?? 0) + 1);
    return runs;
  };
  /** Every job of a queue, by id, whatever its state. */
  const jobIds = async (q: Queue) =>
    (await q.getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'prioritized'], 0, -1))
      .map((job) => job.id!)
      .sort();
  /** 'added' and 'duplicated' events of a queue's event stream (BullMQ writes 'duplicated' for an add under an existing id). */
  const addEvents = async (q: Queue) => {
    const entries = await redis.xrange(q.keys.events, '-', '+');
    const count = (event: string) => entries.filter(([, fields]) => fields[1] === event).length;
    return { added: count('added'), duplicated: count('duplicated') };
  };

  it('(1) Redis stopped: 50 POST /reports all answer 202; Redis restarted: all 50 complete, none generated twice', async () => {
    const prefix = uniquePrefix('outbox-redis-down');
    const { base } = await startApi(prefix);
    const worker = await startWorker(prefix);
    await redisServer.kill();
    const posted = performance.now();
    const ids = await postReports(base, 50);
    const postMs = since(posted);
    const waiting = (await outboxRows(dataSource, prefix)).length;
    expect(waiting).toBe(50);
    await sleep(1500); // the relay meanwhile fails and backs off
    const restarted = performance.now();
    await redisServer.restart();
    await eventually(async () => (await completedReports(ids)) === 50, 60_000, 'all 50 reports completed');
    const catchUpMs = since(restarted);
    // The worker logs a run after its report is saved: wait for the 50th line too.
    await eventually(() => Promise.resolve(generatedPerJob(worker.output).size === 50), 10_000, '50 generate lines');
    const runs = generatedPerJob(worker.output);
    const ids50 = await jobIds(queue(prefix));
    faultSummary(
      '(1) outbox: Redis down during 50 POST /reports',
      `SIGKILL of redis-server (pid ${redisServer.pid} after restart)`,
      {
        answered202: ids.length,
        postMs,
        outboxRowsWhileDown: waiting,
        completedAfterRestart: await completedReports(ids),
        catchUpMs,
        jobsInBullmq: ids50.length,
        maxRunsPerReport: Math.max(...runs.values()),
      },
    );
    expect(ids50).toEqual(ids.map((id) => `report-${id}`).sort());
    expect([...runs.keys()].sort()).toEqual(ids.map((id) => `report-${id}`).sort());
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0, 10_000, 'the outbox empty');
  }, 150_000);

  it("(2) the relay's process SIGKILLed while it moves 500 rows: after a restart every job exists once and every report completes", async () => {
    const prefix = uniquePrefix('outbox-relay-kill');
    const worker = await startWorker(prefix, { SERVUS_OUTBOX_RELAY: 'off' });
    const first = await startApi(prefix);
    const ids = await postReports(first.base, 500);
    await first.api.stop();
    expect((await outboxRows(dataSource, prefix)).length).toBe(500);
    // One row per move: 500 transactions, so the kill lands in the middle of the moving.
    const relay = await startApi(prefix, { SERVUS_OUTBOX_RELAY: 'on', SERVUS_OUTBOX_BATCH: '1' });
    let left = 500;
    await eventually(
      async () => (left = (await outboxRows(dataSource, prefix)).length) <= 400,
      30_000,
      'the relay moving',
    );
    await relay.api.stop('SIGKILL');
    const leftAtKill = (await outboxRows(dataSource, prefix)).length;
    expect(leftAtKill).toBeGreaterThan(0); // else nothing was interrupted
    const q = queue(prefix);
    const inRedisAtKill = (await jobIds(q)).length;
    await startApi(prefix, { SERVUS_OUTBOX_RELAY: 'on' });
    await eventually(async () => (await completedReports(ids)) === 500, 90_000, 'all 500 reports completed');
    await eventually(() => Promise.resolve(generatedPerJob(worker.output).size === 500), 10_000, '500 generate lines');
    const all = await jobIds(q);
    const events = await addEvents(q);
    const runs = generatedPerJob(worker.output);
    faultSummary(
      '(2) outbox: relay SIGKILLed mid-move',
      `SIGKILL of the relay (pid ${relay.api.child.pid}) with ${leftAtKill} of 500 rows left`,
      {
        rowsLeftWhenKillDecided: left,
        rowsLeftAtKill: leftAtKill,
        jobsInRedisAtKill: inRedisAtKill,
        jobsInBullmq: all.length,
        distinctJobIds: new Set(all).size,
        addedEvents: events.added,
        reAddsIgnoredByBullmq: events.duplicated,
        completed: await completedReports(ids),
        maxRunsPerReport: Math.max(...runs.values()),
      },
    );
    expect(all).toEqual(ids.map((id) => `report-${id}`).sort());
    expect(events.added).toBe(500);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(500);
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0, 10_000, 'the outbox empty');
  }, 240_000);

  /** A producer in this process on the case's prefix; the relays are processes. */
  const producer = async (prefix: string): Promise<ServusExecutor> => {
    const app = await bootServus(
      {
        connection: { url: redisServer.url() },
        prefix,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: false },
      },
      [FixturesModule],
    );
    apps.push(app);
    return app.get(ServusExecutor);
  };

  it('(3) a transaction that calls callAsync and then rolls back: no job, no row', async () => {
    const prefix = uniquePrefix('outbox-rollback');
    const executor = await producer(prefix);
    await startApi(prefix, { SERVUS_OUTBOX_RELAY: 'on' });
    let rolledBack: { jobId: string } | undefined;
    let reportId: number | undefined;
    await expect(
      dataSource.transaction(async (manager) => {
        [{ id: reportId }] = await manager.query(
          `INSERT INTO reports (user_id, from_date, to_date) VALUES (1, '2026-11-01', '2026-11-30') RETURNING id`,
        );
        rolledBack = await executor.callAsync(Echo, { reportId }, { transaction: manager });
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    // A later commit the relay moves: once its job is in Redis, the relay has been over the table.
    const marker = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { marker: true }, { transaction: manager }),
    );
    const q = queue(prefix);
    await eventually(async () => (await q.getJob(marker.jobId)) !== undefined, 20_000, 'the marker job relayed');
    // The relay adds, then commits its delete: the marker's row goes a moment after its job lands.
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0, 10_000, 'the marker row deleted');
    const reportRows = await dataSource.query<Array<{ id: number }>>('SELECT id FROM reports WHERE id = $1', [
      reportId,
    ]);
    faultSummary('(3) outbox: rollback', 'a transaction rolled back after callAsync', {
      markerRelayed: true,
      rolledBackJobInRedis: (await q.getJob(rolledBack!.jobId)) !== undefined,
      outboxRows: (await outboxRows(dataSource, prefix)).length,
      reportRows: reportRows.length,
      jobsInQueue: (await jobIds(q)).length,
    });
    expect(await q.getJob(rolledBack!.jobId)).toBeUndefined();
    expect(await jobIds(q)).toEqual([marker.jobId]);
    expect(await outboxRows(dataSource, prefix)).toEqual([]);
    expect(reportRows).toEqual([]);
  }, 60_000);

  it('(4) two relays at once over 2,000 rows: each job once', async () => {
    const prefix = uniquePrefix('outbox-two-relays');
    const executor = await producer(prefix);
    const relays = await Promise.all([
      startApi(prefix, { SERVUS_OUTBOX_RELAY: 'on', SERVUS_OUTBOX_BATCH: '50' }),
      startApi(prefix, { SERVUS_OUTBOX_RELAY: 'on', SERVUS_OUTBOX_BATCH: '50' }),
    ]);
    const expected: string[] = [];
    for (let t = 0; t < 8; t++) {
      const receipts = await dataSource.transaction((manager) =>
        executor.callAsyncMany(
          Array.from({ length: 250 }, (_, i) => ({
            service: Echo,
            args: { n: t * 250 + i },
            options: { transaction: manager },
          })),
        ),
      );
      expected.push(...receipts.map((receipt) => receipt.jobId));
    }
    const q = queue(prefix);
    await eventually(
      async () => (await q.getJobCountByTypes('wait')) >= 2000 && (await outboxRows(dataSource, prefix)).length === 0,
      60_000,
      'all 2,000 jobs relayed',
    );
    await sleep(500); // a late duplicate would show now
    const moved = await Promise.all(
      relays.map(
        async ({ base }) =>
          ((await (await fetch(`${base}/health`)).json()) as { details: { outbox: { moved: number } } }).details.outbox
            .moved,
      ),
    );
    const all = await jobIds(q);
    const events = await addEvents(q);
    faultSummary('(4) outbox: two relays at once', 'two relay processes over one outbox of 2,000 rows', {
      movedByEach: moved,
      jobsInBullmq: all.length,
      distinctJobIds: new Set(all).size,
      addedEvents: events.added,
      duplicatedEvents: events.duplicated,
    });
    expect(all).toEqual([...expected].sort());
    expect(events).toEqual({ added: 2000, duplicated: 0 });
    expect(moved[0] + moved[1]).toBe(2000);
    expect(moved.every((n) => n > 0)).toBe(true);
  }, 120_000);
});
