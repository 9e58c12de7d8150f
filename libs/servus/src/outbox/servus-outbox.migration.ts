import { CREATE_OUTBOX_SQL, DROP_OUTBOX_SQL } from './outbox-table';

/** What a migration gets from TypeORM (a QueryRunner), typed here so the library's types need no TypeORM. */
interface MigrationRunner {
  query(sql: string): Promise<unknown>;
}

/**
 * The outbox table (PostgreSQL), as a TypeORM migration to add to your DataSource's `migrations`.
 *
 * @example
 * new DataSource({ ..., migrations: [CreateReports1764201600000, ServusOutboxMigration1764633600000] })
 *
 * @publicApi
 */
export class ServusOutboxMigration1764633600000 {
  name = 'ServusOutboxMigration1764633600000';

  async up(runner: MigrationRunner): Promise<void> {
    for (const statement of CREATE_OUTBOX_SQL) await runner.query(statement);
  }

  async down(runner: MigrationRunner): Promise<void> {
    for (const statement of DROP_OUTBOX_SQL) await runner.query(statement);
  }
}
