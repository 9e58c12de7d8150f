import { DynamicModule, Module, Type } from '@nestjs/common';
import { ServusModule } from '@app/servus';
import { workerOptionsFromEnv } from './worker-options';

/** The worker deployment: Servus in consuming mode, plus the domain modules whose services it runs. */
@Module({})
export class WorkerModule {
  static forDomain(...domains: Type[]): DynamicModule {
    return { module: WorkerModule, imports: [ServusModule.forRoot(workerOptionsFromEnv()), ...domains] };
  }
}
