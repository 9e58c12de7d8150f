import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullmqDispatcher } from '../async/bullmq-dispatcher';
import { BullmqQueues } from '../async/bullmq-queues';
import { FinishEvents } from '../async/finish-events';
import { CallDeadlines } from '../execution/call-deadline';
import { BullmqSchedules } from '../async/bullmq-schedules';
import { JobRequestBuilder } from '../async/job-request';
import { JobSigner } from '../async/job-signer';
import { QueueNames } from '../async/queue-names';
import { ServusJobProcessor } from '../async/servus-job.processor';
import { JobGate } from '../async/job-gate';
import { ServusWorker } from '../async/servus-worker';
import { ASYNC_DISPATCHER } from '../execution/async-dispatcher.interface';
import { ServiceLogger } from '../execution/service-logger';
import { Redactor } from '../execution/redactor';
import { QUEUE_HEALTH } from '../execution/queue-health.port';
import { QUEUE_HANDLES } from '../execution/queue-handles.port';
import { BullmqHealth } from '../async/bullmq-health';
import { ServicePipeline } from '../execution/service-pipeline';
import { EmitPort } from '../execution/emit-port';
import { QUEUE_RESOLVER } from '../execution/queue-resolver.port';
import { ServusExecutor } from '../execution/servus-executor';
import { ServiceRegistry } from '../service/service-registry';
import { ServusExplorer } from './servus.explorer';
import { ServiceDefiner } from '../execution/service-definer';
import { HandlerBinder } from '../events/handler-binder';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ContractCompiler } from '../validation/contract-compiler';
import { BULLMQ_NOT_FROM_FACTORY, bullmqWiring, SERVUS_GIVEN_OPTIONS } from './servus-bullmq.providers';
import { createAsyncOptionsProviders } from './servus-options.providers';
import { OPTIONS_CHECK } from './servus-options.validation';
import { ServusModuleAsyncOptions, ServusModuleOptions } from './servus-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { EventRegistry } from '../events/event-registry';
import { ServusEvents } from '../events/servus-events';
import { GlobalIds } from '../globalid/global-ids';
import { ServusObservers } from '../execution/servus-observers';
import { ServusTracing } from '../tracing/servus-tracing';
import { FLOW_CONTROL } from '../async/flow-control.port';
import { RedisFlowControl } from '../flow/redis-flow-control';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher';
import { OutboxRelay } from '../outbox/outbox-relay';
import { OUTBOX_MONITOR } from '../execution/outbox-monitor.port';

const CORE_PROVIDERS: Provider[] = [
  OPTIONS_CHECK,
  ServusMetadataAccessor,
  ServiceRegistry,
  ServusExplorer,
  ServiceDefiner,
  HandlerBinder,
  ContractCompiler,
  Redactor,
  ServiceLogger,
  ServusObservers,
  ServusTracing,
  EmitPort,
  ServicePipeline,
  CallDeadlines,
  ServusExecutor,
  EventRegistry,
  ServusEvents,
  GlobalIds,
  QueueNames,
  { provide: QUEUE_RESOLVER, useExisting: QueueNames },
  JobSigner,
  JobRequestBuilder,
  JobGate,
  ServusJobProcessor,
];

/** The Redis side (health checks read the queues and the worker). The testing module puts its fake or inline adapter in their place. */
const BULLMQ_PROVIDERS: Provider[] = [
  ServusWorker,
  BullmqQueues,
  FinishEvents,
  BullmqSchedules,
  BullmqDispatcher,
  // Calls with `transaction` go to the outbox, the others straight to BullMQ.
  OutboxDispatcher,
  { provide: ASYNC_DISPATCHER, useExisting: OutboxDispatcher },
  OutboxRelay,
  { provide: OUTBOX_MONITOR, useExisting: OutboxRelay },
  BullmqHealth,
  { provide: QUEUE_HEALTH, useExisting: BullmqHealth },
  { provide: QUEUE_HANDLES, useExisting: BullmqQueues },
  RedisFlowControl,
  { provide: FLOW_CONTROL, useExisting: RedisFlowControl },
];
const BULLMQ_EXPORTS = [ServusWorker, BullmqQueues, QUEUE_HEALTH, QUEUE_HANDLES, OUTBOX_MONITOR];

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
    if (!options.bullmq) {
      return servusModule(
        [{ provide: SERVUS_MODULE_OPTIONS, useValue: options }],
        [],
        BULLMQ_PROVIDERS,
        BULLMQ_EXPORTS,
      );
    }
    const wiring = bullmqWiring(options.bullmq);
    const given: Provider = { provide: SERVUS_GIVEN_OPTIONS, useValue: options };
    return servusModule([given, ...wiring.providers], [], BULLMQ_PROVIDERS, [...BULLMQ_EXPORTS, ...wiring.exports]);
  }

  static forRootAsync(options: ServusModuleAsyncOptions): DynamicModule {
    if (!options.bullmq) {
      const providers = [...createAsyncOptionsProviders(options), BULLMQ_NOT_FROM_FACTORY];
      return servusModule(providers, options.imports, BULLMQ_PROVIDERS, BULLMQ_EXPORTS);
    }
    const wiring = bullmqWiring(options.bullmq);
    const given = createAsyncOptionsProviders(options, SERVUS_GIVEN_OPTIONS);
    return servusModule([...given, ...wiring.providers], options.imports, BULLMQ_PROVIDERS, [
      ...BULLMQ_EXPORTS,
      ...wiring.exports,
    ]);
  }
}

/**
 * ServusModule with a given async adapter: BullMQ's for forRoot, the test queue for
 * ServusTestingModule. `adapter` must provide ASYNC_DISPATCHER. Internal: not exported by any entry.
 */
export function servusModule(
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
      Redactor,
      QueueNames,
      QUEUE_RESOLVER,
      ASYNC_DISPATCHER,
      SERVUS_MODULE_OPTIONS,
      ...exports,
    ],
  };
}
