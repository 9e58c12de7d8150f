import { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { DataSource, QueryRunner } from 'typeorm';
import { TypeOrmOutboxStore } from 'nestjs-servus';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { FixturesModule } from '../e2e/fixtures/fixture-services';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { compileServus } from '../support/servus-app';
import { outboxDataSource } from '../support/outbox-db';

/**
 * The outbox gauges are read from the database at scrape time. While the table is locked (a
 * migration, VACUUM FULL, LOCK TABLE), that read waits: the scrape must still answer (within
 * OUTBOX_READ_TIMEOUT_MS), and overlapping scrapes must not each hold one more of the app's pooled
 * connections (ten scrapes would take the whole pool, and the app's own queries would wait).
 */
describe('faults: /metrics while the outbox table is locked', () => {
  let dataSource: DataSource;
  let locker: DataSource;
  let runner: QueryRunner | undefined;
  let app: INestApplication | undefined;
  const prefix = uniquePrefix('outbox-metrics-lock');
  beforeAll(async () => {
    [dataSource, locker] = await Promise.all([outboxDataSource(prefix), outboxDataSource()]);
  });
  afterAll(async () => {
    if (runner?.isTransactionActive) await runner.rollbackTransaction();
    await runner?.release();
    await app?.close();
    const redis = new Redis(REDIS_URL);
    await deletePrefix(redis, prefix); // the queue's meta key
    await Promise.all([redis.quit(), dataSource?.destroy(), locker?.destroy()]);
  });

  /** Backends of the app's DataSource waiting for a lock. */
  const waiting = async (): Promise<number> => {
    const [{ n }] = await locker.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [prefix],
    );
    return n;
  };

  it('4 overlapping scrapes answer within 4 s; the app still gets a connection; the read gives up its connection', async () => {
    const moduleRef = await compileServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: false },
      },
      [ServusMetricsModule.forRoot({ registry: new Registry(), defaultMetrics: false }), FixturesModule],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    runner = locker.createQueryRunner();
    await runner.startTransaction();
    await runner.query('LOCK TABLE servus_outbox IN ACCESS EXCLUSIVE MODE');

    const scrape = () =>
      fetch(`${base}/metrics`, { signal: AbortSignal.timeout(4000) }).then(async (response) => ({
        status: response.status,
        text: await response.text(),
      }));
    const scrapes = await Promise.all([scrape(), scrape(), scrape(), scrape()]);
    for (const { status, text } of scrapes) {
      expect(status).toBe(200);
      expect(text).toContain('servus_calls_total');
      expect(text).not.toMatch(/^servus_outbox_depth /m); // unknown, so left out (not 0)
    }
    // The pool (10 connections) is not taken by waiting reads: the app's own query answers.
    const answered = await Promise.race([
      dataSource.query('SELECT 1').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
    ]);
    expect(answered).toBe(true);
    // The read waiting for the lock is cancelled (statement_timeout), not kept until the lock ends.
    await eventually(async () => (await waiting()) === 0, 3000, 'no backend of the app waiting for the lock');

    await runner.rollbackTransaction();
    const after = await scrape();
    expect(after.text).toMatch(/^servus_outbox_depth \d+$/m);
  });
});
