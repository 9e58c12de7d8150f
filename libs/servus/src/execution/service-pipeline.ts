import { Injectable } from '@nestjs/common';
import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { CallContext } from '../service/call-context';
import { EmitPort } from './emit-port';
import { EventEmitError } from './event-emit.error';
import { ServiceLogger } from './service-logger';
import { ServusObservers } from './servus-observers';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';
import { CallDeadlines, runWithDeadline } from './call-deadline';

/**
 * The one place the order of a call is written down, as Servus's `base.rb`:
 *
 *   log the call -> validate arguments -> run -> rescue -> validate result data
 *   -> emit events -> log the outcome with its duration
 *
 * Unrescued exceptions (and ValidationError) are logged and rethrown. `call` and the
 * worker both run services through here, so a service behaves the same sync or async.
 * Around it: a span (when OpenTelemetry records) and the observers (metrics, test recorder).
 */
@Injectable()
export class ServicePipeline {
  constructor(
    private readonly logger: ServiceLogger,
    private readonly events: EmitPort,
    private readonly observers: ServusObservers,
    private readonly tracing: ServusTracing,
    private readonly deadlines: CallDeadlines,
  ) {}

  /**
   * `label` tells where the call runs (the worker passes its job), for the log lines;
   * `loggedArgs` is what the call line shows when not `args` (a worker logs global ids, not entities).
   */
  run(
    definition: ServiceDefinition,
    args: unknown,
    label?: string,
    context?: CallContext,
    loggedArgs: unknown = args,
  ): Promise<ServiceResponse> {
    return this.tracing.run(`call ${definition.name}`, SpanKind.INTERNAL, { 'servus.service': definition.name }, () =>
      this.execute(definition, args, label, context, loggedArgs),
    );
  }

  private async execute(
    definition: ServiceDefinition,
    args: unknown,
    label: string | undefined,
    context: CallContext | undefined,
    loggedArgs: unknown,
  ): Promise<ServiceResponse> {
    const name = label ? `${definition.name} (${label})` : definition.name;
    if (this.observers.has('callStarted')) this.observers.callStarted(definition, args);
    this.logger.called(name, loggedArgs);
    const started = performance.now();
    let response: ServiceResponse;
    // Invalid arguments are the caller's mistake, logged apart from the service's own exceptions.
    let validated = definition.arguments === undefined;
    try {
      if (!validated) {
        args = await this.validateArguments(definition, args);
        validated = true;
      }
      response = await this.invoke(definition, args, context);
      if (definition.result && response.success)
        await definition.result.validate(response.data, `result of ${definition.name}`);
    } catch (error) {
      if (definition.emits?.error.length) await this.emitError(definition, error, args);
      const ms = this.finish(definition, context, started, undefined, error);
      if (validated) this.logger.raised(name, error, ms);
      else this.logger.refused(name, error, ms);
      throw error;
    }
    const trigger = response.success ? 'success' : 'failure';
    if (definition.emits?.[trigger].length) {
      try {
        await this.events.emitOutcome(definition, trigger, response, args);
      } catch (error) {
        // The service's own outcome is logged; the caller learns its events failed.
        const emitError = new EventEmitError(definition.name, trigger, error);
        this.logger.finished(name, response, this.finish(definition, context, started, undefined, emitError));
        throw emitError;
      }
    }
    this.logger.finished(name, response, this.finish(definition, context, started, response));
    return response;
  }

  /** The call's duration, reported to the observers with its outcome: the response, else the exception. */
  private finish(
    definition: ServiceDefinition,
    context: CallContext | undefined,
    started: number,
    response: ServiceResponse | undefined,
    error?: unknown,
  ): number {
    const durationMs = performance.now() - started;
    if (this.observers.has('callFinished')) {
      const queue = context?.job?.queue;
      if (response) {
        this.observers.callFinished({
          service: definition.name,
          queue,
          outcome: response.success ? 'success' : 'failure',
          code: response.success ? undefined : response.error.code,
          durationMs,
        });
      } else {
        const code = error instanceof Error ? error.name : typeof error;
        this.observers.callFinished({ service: definition.name, queue, outcome: 'exception', code, durationMs });
      }
    }
    return durationMs;
  }

  /** What the service receives for `args` (defaults filled, or its DTO), or a thrown ValidationError. */
  validateArguments(definition: ServiceDefinition, args: unknown): unknown {
    return definition.arguments ? definition.arguments.validate(args, `arguments for ${definition.name}`) : args;
  }

  /** 'error' events fire before the exception propagates; their own failure must not replace it. */
  private async emitError(definition: ServiceDefinition, error: unknown, args: unknown): Promise<void> {
    try {
      await this.events.emitOutcome(definition, 'error', error, args);
    } catch {
      // Already logged by the bus; the caller gets the service's own exception.
    }
  }

  /** Runs `call` and applies `@RescueFrom` to what it throws. */
  private async invoke(
    definition: ServiceDefinition,
    args: unknown,
    context: CallContext | undefined,
  ): Promise<ServiceResponse> {
    let response: unknown;
    const timeoutMs = this.deadlines.timeoutOf(definition);
    try {
      // `args` passed the service's contract (or it declares none): it is what `call` takes.
      response = timeoutMs
        ? await runWithDeadline(definition.name, timeoutMs, context, (timed) =>
            definition.instance.call(args as never, timed),
          )
        : await definition.instance.call(args as never, context);
    } catch (error) {
      const rescued = definition.rescuer.isEmpty ? undefined : await definition.rescuer.rescue(error, args);
      if (rescued) return rescued;
      throw error;
    }
    if (!ServiceResponse.isResponse(response)) {
      throw new TypeError(`${definition.name}.call() must return this.success(data) or this.failure(message, Type)`);
    }
    return response;
  }
}
