import { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { ServusBullmqOptions } from '../async/bullmq-interop-options.interface';
import { OutboxModuleOptions } from '../outbox/outbox-options.interface';
import { EventsModuleOptions } from '../events/events-options.interface';
import { ExecutionModuleOptions } from '../execution/execution-options.interface';
import { TracingModuleOptions } from '../tracing/tracing-options.interface';
import { ValidationModuleOptions } from '../validation/validation-options.interface';

export { ServusLoggingOptions } from '../execution/execution-options.interface';
export { ServusEventsOptions } from '../events/events-options.interface';
export { ServusValidationOptions } from '../validation/validation-options.interface';

/**
 * Options of `ServusModule.forRoot()`: each concern declares the part it reads.
 *
 * @publicApi
 */
export interface ServusModuleOptions
  extends
    AsyncModuleOptions,
    ExecutionModuleOptions,
    EventsModuleOptions,
    ValidationModuleOptions,
    TracingModuleOptions,
    OutboxModuleOptions {}

/** @publicApi */
export interface ServusOptionsFactory {
  createServusOptions(): ServusModuleOptions | Promise<ServusModuleOptions>;
}

/**
 * Options of `ServusModule.forRootAsync()`: one of useFactory, useClass, useExisting.
 *
 * @publicApi
 */
export interface ServusModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /**
   * Redis from the app's `BullModule.forRoot` (see `ServusModuleOptions.bullmq`). Given here, not in
   * the factory's result: the config's token is injected when the module is declared.
   */
  bullmq?: ServusBullmqOptions;
  useFactory?: (...args: never[]) => ServusModuleOptions | Promise<ServusModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<ServusOptionsFactory>;
  useExisting?: Type<ServusOptionsFactory>;
}
