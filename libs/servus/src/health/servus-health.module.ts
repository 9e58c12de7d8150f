import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { createHealthController } from './health.controller';
import { ServusHealthIndicator } from './servus-health.indicator';
import { SERVUS_HEALTH_OPTIONS, ServusHealthOptions } from './servus-health-options.interface';

/**
 * Health endpoints (@nestjs/terminus) for an api or a worker, and `ServusHealthIndicator` to
 * add Servus's checks to your own health controller.
 *
 * @publicApi
 */
@Module({})
export class ServusHealthModule {
  static forRoot(options: ServusHealthOptions = {}): DynamicModule {
    const path = options.path ?? 'health';
    return {
      module: ServusHealthModule,
      imports: [TerminusModule],
      providers: [ServusHealthIndicator, { provide: SERVUS_HEALTH_OPTIONS, useValue: options }],
      controllers: path === false ? [] : [createHealthController(path)],
      exports: [ServusHealthIndicator],
    };
  }
}
