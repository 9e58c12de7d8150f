import { DataSource, DataSourceOptions } from 'typeorm';
import { databaseOptions } from '../../libs/reports/src/database/database-options';

/**
 * The example's database (DATABASE_URL, else the local `test` one) with its migrations applied,
 * the outbox table among them. Rows of a test are told apart by its scope (its Redis prefix); its
 * connections, by `applicationName` when given (pg_stat_activity.application_name).
 */
export async function outboxDataSource(applicationName?: string): Promise<DataSource> {
  const options = { ...databaseOptions(), applicationName } as DataSourceOptions;
  const dataSource = await new DataSource(options).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

/** Rows of one scope still in the outbox. */
export async function outboxRows(dataSource: DataSource, scope: string): Promise<Array<{ job_id: string }>> {
  return dataSource.query('SELECT job_id FROM servus_outbox WHERE scope = $1 ORDER BY id', [scope]);
}
