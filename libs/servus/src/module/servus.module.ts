import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullmqDispatcher } from '../async/bullmq-dispatcher';
import { BullmqQueues } from '../async/bullmq-queues';
import { BullmqSchedules } from '../async/bullmq-schedules';
import { JobRequestBuilder } from '../async/job-request';
import { QueueNames } from '../async/queue-names';
import { ServusJobProcessor } from '../async/servus-job.processor';
import { ServusWorker } from '../async/servus-worker';
import { ASYNC_DISPATCHER } from '../execution/async-dispatcher.interface';
import { ServiceLogger } from '../execution/service-logger';
import { ServicePipeline } from '../execution/service-pipeline';
import { ServusExecutor } from '../execution/servus-executor';
import { ServiceRegistry } from '../service/service-registry';
import { ServusExplorer } from '../service/servus.explorer';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ContractCompiler } from '../validation/contract-compiler';
import { createAsyncOptionsProviders } from './servus-options.providers';
import { OPTIONS_CHECK } from './servus-options.validation';
import { ServusModuleAsyncOptions, ServusModuleOptions } from './servus-options.interface';
import { SERVUS_EXECUTOR, SERVUS_MODULE_OPTIONS } from './servus.tokens';
import { EventRegistry } from '../events/event-registry';
import { ServusEvents } from '../events/servus-events';
import { GlobalIds } from '../globalid/global-ids';
import { ServusObservers } from '../execution/servus-observers';
import { ServusTracing } from '../tracing/servus-tracing';

const CORE_PROVIDERS: Provider[] = [
  OPTIONS_CHECK,
  ServusMetadataAccessor,
  ServiceRegistry,
  ServusExplorer,
  ContractCompiler,
  ServiceLogger,
  ServusObservers,
  ServusTracing,
  ServicePipeline,
  ServusExecutor,
  { provide: SERVUS_EXECUTOR, useExisting: ServusExecutor },
  EventRegistry,
  ServusEvents,
  GlobalIds,
  QueueNames,
  JobRequestBuilder,
  ServusJobProcessor,
];

/** The Redis side (health checks read the queues and the worker). The testing module puts its fake or inline adapter in their place. */
const BULLMQ_PROVIDERS: Provider[] = [
  ServusWorker,
  BullmqQueues,
  BullmqSchedules,
  BullmqDispatcher,
  { provide: ASYNC_DISPATCHER, useExisting: BullmqDispatcher },
];
const BULLMQ_EXPORTS = [ServusWorker, BullmqQueues];

/**
 * Global: `@Service()` providers of any module are found at bootstrap, and
 * `ServusExecutor` can be injected anywhere.
 *
 * @example
 * ServusModule.forRoot({ queues: ['default', 'critical'], worker: false })
 *
 * @publicApi
 */
@Module({})
export class ServusModule {
  static forRoot(options: ServusModuleOptions = {}): DynamicModule {
    return this.create([{ provide: SERVUS_MODULE_OPTIONS, useValue: options }], [], BULLMQ_PROVIDERS, BULLMQ_EXPORTS);
  }

  static forRootAsync(options: ServusModuleAsyncOptions): DynamicModule {
    return this.create(createAsyncOptionsProviders(options), options.imports, BULLMQ_PROVIDERS, BULLMQ_EXPORTS);
  }

  /**
   * @internal The module with another async adapter than BullMQ (the testing module's).
   * `adapter` must provide ASYNC_DISPATCHER.
   */
  static create(
    optionsProviders: Provider[],
    imports: DynamicModule['imports'] = [],
    adapter: Provider[] = BULLMQ_PROVIDERS,
    exports: DynamicModule['exports'] = [],
  ): DynamicModule {
    return {
      module: ServusModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [...optionsProviders, ...CORE_PROVIDERS, ...adapter],
      exports: [
        ServusExecutor,
        ServusEvents,
        ServiceRegistry,
        ServusObservers,
        ServusTracing,
        ServiceLogger,
        QueueNames,
        ASYNC_DISPATCHER,
        SERVUS_MODULE_OPTIONS,
        ...exports,
      ],
    };
  }
}
