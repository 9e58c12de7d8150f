import { DynamicModule, Module, Type } from '@nestjs/common';
import { ServusModule } from 'nestjs-servus';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { DataSource } from 'typeorm';
import { outboxFromEnv, workerOptionsFromEnv } from '@app/reports';

/** The worker deployment: Servus in consuming mode (configured by env), its metrics and health, plus the domain modules whose services it runs. */
@Module({})
export class WorkerModule {
  static forDomain(...domains: Array<Type | DynamicModule>): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ServusModule.forRoot(workerOptionsFromEnv()),
        ServusMetricsModule.forRoot(),
        ServusHealthModule.forRoot(),
        ...domains,
      ],
    };
  }

  /** The same with the transactional outbox on the domain's TypeORM DataSource: this worker runs a relay. */
  static forDomainWithOutbox(...domains: Array<Type | DynamicModule>): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ServusModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({ ...workerOptionsFromEnv(), outbox: outboxFromEnv(dataSource) }),
        }),
        ServusMetricsModule.forRoot(),
        ServusHealthModule.forRoot(),
        ...domains,
      ],
    };
  }
}
