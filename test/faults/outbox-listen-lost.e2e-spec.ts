import { INestApplication, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { TypeOrmOutboxStore } from 'nestjs-servus';
import type { OutboxListener } from 'nestjs-servus/extend';
import { FixturesModule } from '../e2e/fixtures/fixture-services';
import { deletePrefix, eventually, REDIS_URL, sleep, uniquePrefix } from '../support/redis-test-kit';
import { compileServus } from '../support/servus-app';
import { outboxDataSource } from '../support/outbox-db';

/**
 * The relay's LISTEN connection killed by the database (pg_terminate_backend: a failover, an
 * idle-connection reaper): the relay listens again at once, so a commit right after is moved
 * within moments, not after a whole poll interval.
 */
describe('faults: the outbox relay loses its LISTEN connection', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = uniquePrefix('outbox-listen-lost');
  let dataSource: DataSource;
  let app: INestApplication | undefined;
  beforeAll(async () => {
    dataSource = await outboxDataSource(prefix); // its connections named by application_name
  });
  afterAll(async () => {
    await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
    await deletePrefix(redis, prefix);
    await Promise.all([redis.quit(), dataSource?.destroy()]);
  });

  /** The pids of this suite's backends LISTENing on the outbox channel (other suites' relays may run on this database too). */
  const listeners = async (): Promise<number[]> => {
    const rows = await dataSource.query<Array<{ pid: number }>>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query = 'LISTEN servus_outbox'`,
      [prefix],
    );
    return rows.map((row) => row.pid);
  };

  /** The outbox store, each LISTEN it opened recorded: its lost-connection callback, and whether the relay closed it. */
  class RecordingStore extends TypeOrmOutboxStore {
    readonly opened: Array<{ lose: (error: Error) => void; closed: boolean }> = [];
    override async listen(onWake: () => void, onError: (error: Error) => void): Promise<OutboxListener> {
      const listener = await super.listen(onWake, onError);
      const entry = { lose: onError, closed: false };
      this.opened.push(entry);
      return { close: () => ((entry.closed = true), listener.close()) };
    }
  }

  async function bootRecording(backoffMs: number): Promise<RecordingStore> {
    const store = new RecordingStore(dataSource);
    const moduleRef = await compileServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        outbox: { store, relay: { pollMs: 60_000, backoffMs } },
      },
      [FixturesModule],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await eventually(async () => store.opened.length === 1);
    return store;
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a late loss event of a listener already replaced does not close the current one', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await bootRecording(100);
    try {
      store.opened[0].lose(new Error('lost'));
      await eventually(async () => store.opened.length === 2);
      expect(warn.mock.calls.map(([line]) => line)).toContain('Outbox relay: LISTEN lost, listening again now: lost');
    } finally {
      warn.mockRestore();
    }
    store.opened[0].lose(new Error('the same connection, reported again'));
    await sleep(300);
    expect(store.opened.map((listener) => listener.closed)).toEqual([true, false]);
  });

  it('a second loss within backoffMs of the first: the relay listens again after backoffMs, not at once', async () => {
    const store = await bootRecording(1000);
    store.opened[0].lose(new Error('lost'));
    await eventually(async () => store.opened.length === 2);
    const lostAgain = Date.now();
    store.opened[1].lose(new Error('lost again'));
    await eventually(async () => store.opened.length === 3, 5000);
    expect(Date.now() - lostAgain).toBeGreaterThanOrEqual(900);
  });

  it('a row committed after the kill is moved within 3 s while the poll interval is 60 s', async () => {
    const moduleRef = await compileServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: { pollMs: 60_000 } },
      },
      [FixturesModule],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    let ours: number[] = [];
    await eventually(async () => (ours = await listeners()).length === 1);
    await dataSource.query('SELECT pg_terminate_backend($1)', [ours[0]]);
    await eventually(async () => !(await listeners()).includes(ours[0]));
    await dataSource.query(
      `INSERT INTO servus_outbox (scope, queue, job_id, name, payload, options)
       VALUES ($1, 'default', 'after-kill', 'fixtures.echo', '{"service":"fixtures.echo","args":{},"metadata":{"v":1}}', '{}')`,
      [prefix],
    );
    await eventually(async () => (await redis.exists(`${prefix}:default:after-kill`)) === 1, 3000);
  });
});
