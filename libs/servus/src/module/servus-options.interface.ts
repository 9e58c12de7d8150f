import { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import { AsyncModuleOptions } from '../async/async-options.interface';

/** How calls are logged. */
export interface ServusLoggingOptions {
  /** Keys whose values are masked in logs (substring, case-insensitive). Replaces the default list. */
  redact?: (string | RegExp)[];
  /** Level of the per-call success line. Default 'log' (info); 'debug' keeps busy workers quiet. */
  successLevel?: 'log' | 'debug' | 'verbose';
  /**
   * Level of the line for a call whose arguments the contract refused (a ValidationError the
   * caller caused, e.g. a 422 for an HTTP client's typo). Default 'warn', without a stack;
   * 'error' logs it as an exception, with its stack.
   */
  invalidArgumentsLevel?: 'error' | 'warn' | 'log' | 'debug';
}

/** How events behave. */
export interface ServusEventsOptions {
  /** A handler of an event no service declares with @Emits fails the boot. Default true. */
  strict?: boolean;
  /**
   * 'propagate' (default, as Servus): a failed invocation rejects the emit, and the call that
   * emitted it. 'isolate': it is logged and reported in the EmitReport; the emitter carries on.
   */
  handlerErrors?: 'propagate' | 'isolate';
}

/** class-validator options for DTO contracts. */
export interface ServusValidationOptions {
  /** Strip properties without decorators. Default true. */
  whitelist?: boolean;
  /** Refuse (instead of strip) properties without decorators. Default false. */
  forbidNonWhitelisted?: boolean;
  /** Refuse objects class-validator knows nothing of. Default true. */
  forbidUnknownValues?: boolean;
}

/**
 * Options of `ServusModule.forRoot()`.
 *
 * @publicApi
 */
export interface ServusModuleOptions extends AsyncModuleOptions {
  /** Directory of file-based schemas (`<dir>/<service path>/arguments.json`). Default 'schemas/services'. */
  schemasDir?: string;
  /** How class-validator DTOs are checked. */
  validation?: ServusValidationOptions;
  /** The event bus. */
  events?: ServusEventsOptions;
  /**
   * Context propagation, opt-in: jobs carry the correlation id of the current ServusContext (a
   * new one when there is none) and these keys to the worker, which restores them around the
   * service. Off (the default), jobs carry none. Workers restore whatever a job carries.
   */
  context?: { carry?: string[] };
  /** `false` turns the pipeline's log lines off. */
  logging?: ServusLoggingOptions | false;
  /**
   * OpenTelemetry spans for call, callAsync and jobs, through the globally registered tracer
   * provider (no-op without one). `false` skips them entirely. Default true.
   */
  tracing?: boolean;
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
  useFactory?: (...args: never[]) => ServusModuleOptions | Promise<ServusModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<ServusOptionsFactory>;
  useExisting?: Type<ServusOptionsFactory>;
}
