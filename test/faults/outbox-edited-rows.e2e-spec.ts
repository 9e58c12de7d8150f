import { INestApplication, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ServusExecutor, TypeOrmOutboxStore } from 'nestjs-servus';
import { FixturesModule } from '../e2e/fixtures/fixture-services';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { compileServus } from '../support/servus-app';
import { outboxDataSource, outboxRows } from '../support/outbox-db';

/**
 * Outbox rows edited in the table (by hand, a data migration, a restore): the row's `job_id`
 * column is its identity (unique per scope and queue, what the caller's receipt names), so the
 * relay adds the job under it whatever the `options` column says.
 */
describe('faults: outbox rows edited in the table', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('outbox-edited');
  let dataSource: DataSource;
  let app: INestApplication | undefined;
  beforeAll(async () => {
    dataSource = await outboxDataSource();
  });
  afterAll(async () => {
    await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
    await deletePrefix(redis, prefix);
    await Promise.all([redis.quit(), dataSource?.destroy()]);
  });

  const insertRow = (jobId: string, options: string) =>
    dataSource.query(
      `INSERT INTO servus_outbox (scope, queue, job_id, name, payload, options)
       VALUES ($1, 'default', $2, 'fixtures.echo', '{"service":"fixtures.echo","args":{},"metadata":{"v":1}}', $3)`,
      [prefix, jobId, options],
    );

  async function boot(relay = true): Promise<void> {
    const moduleRef = await compileServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: relay && { pollMs: 100 } },
      },
      [FixturesModule],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a row BullMQ refuses is logged with its job id escaped: no line break, no C1 control, no line separator', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      // BullMQ refuses ':' in a job id; the rest would end the log line or start a terminal sequence.
      await insertRow('forged:\u2028FATAL\u0085\u009b31m', '{}');
      await boot();
      await eventually(async () => error.mock.calls.some(([line]) => String(line).includes('refused job')));
      const line = String(error.mock.calls.find(([logged]) => String(logged).includes('refused job'))![0]);
      expect(line).toContain('forged:\\u2028FATAL\\x85\\x9b31m');
      // eslint-disable-next-line no-control-regex
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    } finally {
      error.mockRestore();
      await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
    }
  });

  it('a row whose options lack the job id, name another or are not an object: its job is the job_id column', async () => {
    await insertRow('edited-none', '{}');
    await insertRow('edited-other', '{"jobId":"someone-else"}');
    await insertRow('edited-null', 'null');
    await boot();
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0);
    const ids = (await redis.keys(`${prefix}:default:*`))
      .map((key) => key.slice(`${prefix}:default:`.length))
      .filter((id) => id.startsWith('edited-') || id === 'someone-else' || /^\d+$/.test(id));
    expect(ids.sort()).toEqual(['edited-none', 'edited-null', 'edited-other']);
  });

  it('status of a pending row whose options are null or {}: pending, enqueued at the row time', async () => {
    await insertRow('pending-null', 'null');
    await insertRow('pending-empty', '{}');
    await boot(false);
    try {
      const rows = await dataSource.query<Array<{ job_id: string; created_at: Date }>>(
        'SELECT job_id, created_at FROM servus_outbox WHERE scope = $1 ORDER BY id',
        [prefix],
      );
      const executor = app!.get(ServusExecutor);
      const statuses = await Promise.all(
        rows.map(({ job_id: jobId }) => executor.status({ jobId, queue: 'default' }).catch(String)),
      );
      expect(statuses).toEqual(
        rows.map((row) => ({
          state: 'pending',
          attemptsMade: 0,
          timestamps: { enqueuedAt: row.created_at.getTime() },
        })),
      );
      expect(rows).toHaveLength(2);
    } finally {
      await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
    }
  });
});
