import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseOptions } from './database-options';

/** The PostgreSQL connection. `migrationsRun` applies pending migrations at boot (the api does; the worker does not). */
@Module({})
export class ReportsDatabaseModule {
  static forRoot({ migrationsRun = false }: { migrationsRun?: boolean } = {}): DynamicModule {
    return {
      module: ReportsDatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...databaseOptions(), migrationsRun, migrationsTransactionMode: 'each' }),
        }),
      ],
    };
  }
}
