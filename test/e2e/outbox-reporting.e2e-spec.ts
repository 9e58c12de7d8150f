import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ServusExecutor, ServusModule, TypeOrmOutboxStore } from 'nestjs-servus';
import { ServusTestingModule, ServusTestQueue } from 'nestjs-servus/testing';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { Echo, FixturesModule } from './fixtures/fixture-services';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { freePort } from '../support/free-port';
import { outboxDataSource } from '../support/outbox-db';

/** What the outbox reports (metrics, health), and the testing module's `transaction`, on real PostgreSQL. */
describe('outbox: metrics, health, testing module', () => {
  const redis = new Redis(REDIS_URL);
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = await outboxDataSource();
  });
  afterAll(async () => {
    await Promise.all([redis.quit(), dataSource?.destroy()]);
  });

  describe('metrics and health', () => {
    const prefix = uniquePrefix('outbox-report');
    const opened: INestApplication[] = [];

    /** An app on the prefix with its own registry, /metrics and /health; resolves to its base URL. */
    async function boot(relay: boolean, { redisUrl = REDIS_URL, details = false, source = dataSource } = {}) {
      const moduleRef = await Test.createTestingModule({
        imports: [
          ServusModule.forRoot({
            logging: false,
            connection: { url: redisUrl },
            prefix,
            enqueueTimeoutMs: 300,
            outbox: { store: new TypeOrmOutboxStore(source), relay: relay && { pollMs: 100, maxBackoffMs: 200 } },
          }),
          ServusMetricsModule.forRoot({ registry: new Registry(), defaultMetrics: false }),
          ServusHealthModule.forRoot({ details }),
          FixturesModule,
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      opened.push(app);
      await app.listen(0, '127.0.0.1');
      return app.getUrl();
    }
    const insertRow = (jobId: string, options: object, age = '0 seconds') =>
      dataSource.query(
        `INSERT INTO servus_outbox (scope, queue, job_id, name, payload, options, created_at)
         VALUES ($1, 'default', $2, 'fixtures.echo', '{"service":"fixtures.echo","args":{},"metadata":{"v":1}}', $3, now() - $4::interval)`,
        [prefix, jobId, JSON.stringify(options), age],
      );
    const metric = async (base: string, name: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text.split('\n').find((line) => line.startsWith(`${name} `));
    };
    /** The health answer's per-check details. */
    type Health = { details: Record<string, Record<string, unknown> | undefined> };
    const health = async (base: string) => (await (await fetch(`${base}/health`)).json()) as Health;

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((app) => app.close()));
      await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
    });
    afterAll(() => deletePrefix(redis, prefix));

    it('depth, parked rows and the oldest row age are read from the database at scrape time', async () => {
      const base = await boot(false);
      expect(await metric(base, 'servus_outbox_depth')).toBe('servus_outbox_depth 0');
      expect(await metric(base, 'servus_outbox_oldest_age_seconds')).toBe('servus_outbox_oldest_age_seconds 0');
      await insertRow('aged-1', { jobId: 'aged-1' }, '90 seconds');
      await insertRow('aged-2', { jobId: 'aged-2' });
      expect(await metric(base, 'servus_outbox_depth')).toBe('servus_outbox_depth 2');
      const age = Number((await metric(base, 'servus_outbox_oldest_age_seconds'))!.split(' ')[1]);
      expect(age).toBeGreaterThanOrEqual(90);
      expect(age).toBeLessThan(150);
      // No relay in this process: readiness does not ask for one.
      expect((await health(base)).details.outbox).toBeUndefined();
    });

    it('the database refusing the read: the outbox series are left out, not 0 (the scrape still answers)', async () => {
      const closed = await outboxDataSource();
      await closed.destroy(); // every query now fails
      const base = await boot(false, { source: closed });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^servus_calls_total|# HELP servus_calls_total/m);
      expect(text).not.toMatch(/^servus_outbox_(depth|parked|oldest_age_seconds) /m);
    });

    it('a row BullMQ refuses is parked with the reason, the others move; health shows the relay', async () => {
      await insertRow('good-1', { jobId: 'good-1' });
      await insertRow('42', { jobId: '42' }); // BullMQ refuses integer custom ids
      await insertRow('good-2', { jobId: 'good-2' });
      const base = await boot(true);
      await eventually(async () => (await metric(base, 'servus_outbox_parked')) === 'servus_outbox_parked 1');
      expect(await metric(base, 'servus_outbox_depth')).toBe('servus_outbox_depth 0');
      const rows = await dataSource.query('SELECT job_id, refused FROM servus_outbox WHERE scope = $1', [prefix]);
      expect(rows).toEqual([{ job_id: '42', refused: 'Custom Id cannot be integers' }]);
      expect(await redis.exists(`${prefix}:default:good-1`, `${prefix}:default:good-2`)).toBe(2);
      expect((await health(base)).details.outbox).toEqual({
        status: 'up',
        relay: expect.stringMatching(/^(listening|moving)$/),
        moved: 2,
      });
    });

    it('while Redis does not answer, the relay backs off and health says so, its raw error (an address) only in the log', async () => {
      const base = await boot(true, { redisUrl: `redis://127.0.0.1:${await freePort()}` });
      await insertRow('waits-1', { jobId: 'waits-1' });
      let details: Record<string, unknown> | undefined;
      await eventually(async () => (details = (await health(base)).details.outbox)?.status === 'down');
      expect(details).toEqual({ status: 'down', relay: 'backing-off', moved: 0, message: 'moving failed' });
      expect(await metric(base, 'servus_outbox_depth')).toBe('servus_outbox_depth 1');
    });

    it('details: true adds the raw error of a backing-off relay to the answer', async () => {
      const base = await boot(true, { redisUrl: `redis://127.0.0.1:${await freePort()}`, details: true });
      await insertRow('waits-2', { jobId: 'waits-2' });
      let details: Record<string, unknown> | undefined;
      await eventually(async () => (details = (await health(base)).details.outbox)?.status === 'down');
      expect(details?.message).toMatch(/^moving failed: ./);
    });
  });

  describe('ServusTestingModule with transaction', () => {
    let queue: ServusTestQueue;
    let executor: ServusExecutor;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [ServusTestingModule.forRoot({ async: 'fake' }), FixturesModule],
      }).compile();
      const app = await moduleRef.init();
      close = () => app.close();
      queue = moduleRef.get(ServusTestQueue);
      executor = moduleRef.get(ServusExecutor);
    });
    afterAll(() => close?.());
    beforeEach(() => queue.clear());

    it('records the call when the transaction commits, with the receipt it returned', async () => {
      const receipt = await dataSource.transaction(async (manager) => {
        const inside = await executor.callAsync(Echo, { n: 1 }, { transaction: manager, jobId: 'test-1' });
        expect(queue.enqueued(Echo)).toEqual([]);
        return inside;
      });
      expect(receipt).toEqual({ jobId: 'test-1', queue: 'default', service: 'fixtures.echo' });
      expect(queue.enqueued(Echo)).toMatchObject([{ jobId: 'test-1', args: { n: 1 }, state: 'enqueued' }]);
    });

    it('records nothing when it rolls back, nor for a rolled-back savepoint inside a committed one', async () => {
      await expect(
        dataSource.transaction(async (manager) => {
          await executor.callAsync(Echo, { n: 2 }, { transaction: manager });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(queue.enqueued()).toEqual([]);

      await dataSource.transaction(async (manager) => {
        await executor.callAsync(Echo, { kept: true }, { transaction: manager });
        await manager
          .transaction(async (inner) => {
            await executor.callAsync(Echo, { kept: false }, { transaction: inner });
            throw new Error('savepoint rolled back');
          })
          .catch(() => undefined);
      });
      expect(queue.enqueued(Echo).map((call) => call.args)).toEqual([{ kept: true }]);
    });

    it('refuses at call time what the outbox refuses', async () => {
      await dataSource.transaction(async (manager) => {
        await expect(executor.callAsync(Echo, {}, { transaction: manager, idempotencyKey: 'k' })).rejects.toThrow(
          'idempotencyKey cannot be combined with transaction',
        );
        await expect(executor.callAsync(Echo, { d: new Date() }, { transaction: manager })).rejects.toThrow(
          'args.d is a Date',
        );
      });
      await expect(executor.callAsync(Echo, {}, { transaction: dataSource.manager })).rejects.toMatchObject({
        message: expect.stringContaining('transaction is not an open transaction of the outbox store') as string,
        kind: 'misconfigured',
      });
    });

    it('with signing keys, inline: jobs of a transaction, direct and bulk calls run (each signed for its own job id)', async () => {
      const signingKeys = [{ id: 'k1', secret: 'k1-secret-0123456789-0123456789-0123456789' }];
      const moduleRef = await Test.createTestingModule({
        imports: [ServusTestingModule.forRoot({ async: 'inline', security: { signingKeys } }), FixturesModule],
      }).compile();
      const app = await moduleRef.init();
      try {
        const signed = moduleRef.get(ServusExecutor);
        await dataSource.transaction(async (manager) => {
          await signed.callAsync(Echo, { n: 'outbox' }, { transaction: manager });
          await signed.callAsyncMany([
            { service: Echo, args: { n: 'outbox-bulk' }, options: { transaction: manager } },
            { service: Echo, args: { n: 'direct-bulk' } },
          ]);
        });
        await signed.callAsync(Echo, { n: 'direct' });
        const calls = moduleRef.get(ServusTestQueue).enqueued(Echo);
        expect(calls.map((call) => [call.args, call.state, call.failedReason])).toEqual([
          [{ n: 'direct-bulk' }, 'completed', undefined],
          [{ n: 'outbox' }, 'completed', undefined],
          [{ n: 'outbox-bulk' }, 'completed', undefined],
          [{ n: 'direct' }, 'completed', undefined],
        ]);
        expect(calls.map((call) => call.metadata?.jobId)).toEqual(calls.map((call) => call.jobId));
      } finally {
        await app.close();
      }
    });
  });
});
