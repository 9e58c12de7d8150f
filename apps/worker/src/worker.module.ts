import { DynamicModule, Module, Type } from '@nestjs/common';
import { ServusModule } from '@app/servus';
import { workerOptionsFromEnv } from '@app/reports';

/** The worker deployment: Servus in consuming mode (configured by env), plus the domain modules whose services it runs. */
@Module({})
export class WorkerModule {
  static forDomain(...domains: Array<Type | DynamicModule>): DynamicModule {
    return { module: WorkerModule, imports: [ServusModule.forRoot(workerOptionsFromEnv()), ...domains] };
  }
}
