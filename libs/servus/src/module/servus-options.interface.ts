import { ModuleMetadata, Type } from '@nestjs/common';
import { AsyncModuleOptions } from '../async/async-options.interface';

/** How calls are logged. */
export interface ServusLoggingOptions {
  /** Keys whose values are masked in logs (substring, case-insensitive). Replaces the default list. */
  redact?: (string | RegExp)[];
  /** Level of the per-call success line. Default 'log' (info); 'debug' keeps busy workers quiet. */
  successLevel?: 'log' | 'debug' | 'verbose';
}

/**
 * Options of `ServusModule.forRoot()`.
 *
 * @publicApi
 */
export interface ServusModuleOptions extends AsyncModuleOptions {
  /** `false` turns the pipeline's log lines off. */
  logging?: ServusLoggingOptions | false;
}

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
  useFactory?: (...args: any[]) => ServusModuleOptions | Promise<ServusModuleOptions>;
  inject?: any[];
  useClass?: Type<ServusOptionsFactory>;
  useExisting?: Type<ServusOptionsFactory>;
}
