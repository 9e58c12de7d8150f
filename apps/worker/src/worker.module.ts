import { DynamicModule, Module, Type } from '@nestjs/common';
import { ServusModule } from 'nestjs-servus';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { workerOptionsFromEnv } from '@app/reports';

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
}
