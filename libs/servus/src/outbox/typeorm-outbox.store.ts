import {
  TypeOrmDataSourceLike as DataSource,
  TypeOrmEntityManagerLike as EntityManager,
  TypeOrmQueryRunnerLike as QueryRunner,
} from './typeorm-shapes';
import { TypeOrmCommitHooks } from './typeorm-commit-hooks';
import { OutboxEntry, OutboxListener, OutboxRow, OutboxStats, OutboxStore, ParkedRow } from './outbox-store.interface';
import { OUTBOX_TABLE } from './outbox-table';
import { listenWith, PgClient } from './typeorm-outbox-listener';

const COLUMNS = 'id, queue, job_id, name, payload, options, created_at';
/** The longest a stats read may take (a scrape waits 2 s for it): then the database cancels it. */
const STATS_TIMEOUT_MS = 2000;

interface RawRow {
  id: string;
  queue: string;
  job_id: string;
  name: string;
  payload: unknown;
  options: Record<string, unknown>;
  created_at: Date;
}

/**
 * The outbox on TypeORM and PostgreSQL. Writes go through the caller's EntityManager (so they
 * commit or roll back with its transaction); the relay's reads, LISTEN and commit hooks use
 * `dataSource`. Without a data source it can still write and report commits (the testing module's use).
 *
 * @example
 * ServusModule.forRootAsync({
 *   inject: [DataSource],
 *   useFactory: (dataSource: DataSource) => ({ outbox: { store: new TypeOrmOutboxStore(dataSource) } }),
 * })
 *
 * @publicApi
 */
export class TypeOrmOutboxStore implements OutboxStore {
  private readonly commitHooks = new TypeOrmCommitHooks();

  constructor(private readonly dataSource?: DataSource) {}

  accepts(transaction: unknown): boolean {
    const manager = transaction as Partial<EntityManager> | null;
    return (
      typeof manager === 'object' &&
      manager !== null &&
      typeof manager.query === 'function' &&
      !!manager.connection &&
      !!manager.queryRunner?.isTransactionActive
    );
  }

  async insert(transaction: unknown, scope: string, entries: OutboxEntry[]): Promise<void> {
    const manager = this.openManager(transaction);
    const column = <K extends keyof OutboxEntry>(key: K, json = false) =>
      entries.map((entry) => (json ? JSON.stringify(entry[key]) : entry[key]));
    await manager.query(
      `INSERT INTO ${OUTBOX_TABLE} (scope, queue, job_id, name, payload, options)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::json[], $6::json[])
       ON CONFLICT (scope, queue, job_id) DO NOTHING`,
      [scope, column('queue'), column('jobId'), column('name'), column('payload', true), column('options', true)],
    );
  }

  onCommit(transaction: unknown, callback: () => void): void {
    this.commitHooks.add(this.openManager(transaction).queryRunner!, callback);
  }

  async claim(scope: string, limit: number, move: (rows: OutboxRow[]) => Promise<ParkedRow[]>): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`batch size must be a positive integer, got ${limit}`);
    const runner = this.source().createQueryRunner();
    const client = (await runner.connect()) as PgClient;
    try {
      // One round trip opens the transaction and takes the rows (a parameterless query may hold
      // several statements). Deleted first, inside the transaction: the rows stay locked (other
      // relays skip them) and come back untouched if Redis refuses them (rollback) or this process
      // dies (the connection drops). The commit is durable: a delete lost in a database crash
      // would add the job again, which BullMQ ignores only while the job is still kept.
      const results = (await client.query(
        `BEGIN;
         DELETE FROM ${OUTBOX_TABLE} WHERE id IN (
           SELECT id FROM ${OUTBOX_TABLE} WHERE scope = ${literal(scope)} AND refused IS NULL
           ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
         ) RETURNING ${COLUMNS}`,
      )) as Array<{ rows: RawRow[] }>;
      const rows = results[results.length - 1].rows.map(toRow).sort((a, b) => compareIds(a.id, b.id));
      const parked = rows.length ? await move(rows) : [];
      if (parked.length) await this.park(runner, scope, parked);
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Puts refused rows back (the rare path: the common one is a single DELETE), marked so no relay takes them again. */
  private async park(runner: QueryRunner, scope: string, parked: ParkedRow[]): Promise<void> {
    const column = (pick: (item: ParkedRow) => unknown) => parked.map(pick);
    await runner.query(
      `INSERT INTO ${OUTBOX_TABLE} (id, scope, queue, job_id, name, payload, options, created_at, refused)
       SELECT id, $1, queue, job_id, name, payload, options, created_at, refused
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::json[], $7::json[], $8::timestamptz[], $9::text[])
         AS t(id, queue, job_id, name, payload, options, created_at, refused)`,
      [
        scope,
        column(({ row }) => row.id),
        column(({ row }) => row.queue),
        column(({ row }) => row.jobId),
        column(({ row }) => row.name),
        column(({ row }) => JSON.stringify(row.payload)),
        column(({ row }) => JSON.stringify(row.options)),
        column(({ row }) => row.createdAt),
        column(({ reason }) => reason.slice(0, 2000)),
      ],
    );
  }

  listen(onWake: () => void, onError: (error: Error) => void): Promise<OutboxListener> {
    return listenWith(this.source().createQueryRunner(), onWake, onError);
  }

  async stats(scope: string): Promise<OutboxStats> {
    const runner = this.source().createQueryRunner();
    const client = (await runner.connect()) as PgClient;
    try {
      // One round trip; SET LOCAL bounds this read only: while the table is locked (a migration,
      // LOCK TABLE) it is cancelled after STATS_TIMEOUT_MS instead of holding a pooled connection for the whole lock.
      const results = (await client.query(
        `BEGIN READ ONLY; SET LOCAL statement_timeout = ${STATS_TIMEOUT_MS};
         SELECT count(*) FILTER (WHERE refused IS NULL)::int AS depth,
                count(*) FILTER (WHERE refused IS NOT NULL)::int AS parked,
                (extract(epoch from now() - min(created_at) FILTER (WHERE refused IS NULL)) * 1000)::float8 AS age
         FROM ${OUTBOX_TABLE} WHERE scope = ${literal(scope)};
         COMMIT`,
      )) as Array<{ rows: Array<{ depth: number; parked: number; age: number | null }> }>;
      const [row] = results[2].rows;
      return {
        depth: row.depth,
        parked: row.parked,
        oldestAgeMs: row.age === null ? null : Math.max(0, Math.round(row.age)),
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  async find(scope: string, queue: string, jobId: string): Promise<OutboxRow | undefined> {
    const rows = (await this.source().query(
      `SELECT ${COLUMNS} FROM ${OUTBOX_TABLE} WHERE scope = $1 AND queue = $2 AND job_id = $3`,
      [scope, queue, jobId],
    )) as RawRow[];
    return rows[0] && toRow(rows[0]);
  }

  async remove(scope: string, queue: string, jobId: string): Promise<boolean> {
    const [, count] = (await this.source().query(
      `DELETE FROM ${OUTBOX_TABLE} WHERE scope = $1 AND queue = $2 AND job_id = $3`,
      [scope, queue, jobId],
    )) as [unknown, number];
    return count > 0;
  }

  /** The EntityManager of an open transaction, or an error saying what to pass. */
  private openManager(transaction: unknown): EntityManager {
    const manager = transaction as EntityManager;
    if (!this.accepts(transaction))
      throw new Error(
        'transaction must be the EntityManager of an open TypeORM transaction (dataSource.transaction(async (manager) => ...))',
      );
    return manager;
  }

  private source(): DataSource {
    if (!this.dataSource)
      throw new Error(
        'TypeOrmOutboxStore needs a DataSource to relay, find or remove rows: new TypeOrmOutboxStore(dataSource)',
      );
    return this.dataSource;
  }
}

/** A PostgreSQL string literal (standard_conforming_strings, on by default since 9.1). */
function literal(value: string): string {
  if (value.includes('\0')) throw new Error('an outbox scope cannot contain NUL');
  return `'${value.replace(/'/g, "''")}'`;
}

function toRow(raw: RawRow): OutboxRow {
  return {
    id: String(raw.id),
    queue: raw.queue,
    jobId: raw.job_id,
    name: raw.name,
    payload: raw.payload,
    options: raw.options,
    createdAt: raw.created_at,
  };
}

/** bigserial ids as strings, compared as numbers. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
