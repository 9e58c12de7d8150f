import { DataSourceOptions } from 'typeorm';
import { ServusOutboxMigration1764633600000 } from 'nestjs-servus';
import { Report } from '../entities/report.entity';
import { Sale } from '../entities/sale.entity';
import { CreateReports1764201600000 } from '../migrations/1764201600000-create-reports';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The example's PostgreSQL connection: DATABASE_URL, else the local `test` database. */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  return {
    type: 'postgres',
    url: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    entities: [Report, Sale],
    // The outbox table ships with Servus as a migration: listed after the example's own.
    migrations: [CreateReports1764201600000, ServusOutboxMigration1764633600000],
    // One table records which migrations ran, so `migrate` is safe to run again.
    migrationsTableName: 'migrations',
    synchronize: false,
  };
}
