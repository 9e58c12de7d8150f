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

/** One run of a service through the pipeline. */
export interface PipelineCall {
  definition: ServiceDefinition;
  args: unknown;
  /** Where the call runs (the worker passes its job), for the log lines. */
  label?: string;
  context?: CallContext;
  /** What the call line shows when not `args` (a worker logs global ids, not entities). */
  logged?: unknown;
  /** `args` is a fresh copy nobody else holds (a job's decoded data): validation may fill defaults into it. */
  owned?: boolean;
  /** Told when the service is still running at its deadline (see `Deadline.overrun`). */
  overrun?: (settled: Promise<void>) => void;
}

/**
 * The one place the order of a call is written down, as Servus's `base.rb`:
 *
 *   log the call -> validate arguments -> run -> rescue -> validate result data
 *   -> emit events -> log the outcome with its duration
 *
 * Unrescued exceptions (and ValidationError) are logged and rethrown. `call` and the
 * worker both run services through here, so a service behaves the same sync or async.
 * Around it: a span (when an OpenTelemetry SDK is registered) and the observers (metrics,
 * test recorder). Each optional step is one check when unused: the per-service parts are
 * read from the definition, built once at boot.
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

  run(call: PipelineCall): Promise<ServiceResponse> {
    if (!this.tracing.active()) return this.execute(call);
    const { name } = call.definition;
    return this.tracing.run(`call ${name}`, SpanKind.INTERNAL, { 'servus.service': name }, () => this.execute(call));
  }

  private async execute(call: PipelineCall): Promise<ServiceResponse> {
    const { definition, label, context } = call;
    let args = call.args;
    // Stryker disable next-line ConditionalExpression: equivalent fast path (callStarted loops over no listener)
    if (this.observers.has('callStarted')) this.observers.callStarted(definition, args);
    // No clock read when neither a log line nor an observer will show the duration.
    const timed = this.logger.begin() || this.observers.has('callFinished');
    this.logger.called(definition.name, label, 'logged' in call ? call.logged : args);
    const started = timed ? performance.now() : 0;
    let response: ServiceResponse;
    // Invalid arguments are the caller's mistake, logged apart from the service's own exceptions.
    let validated = definition.arguments === undefined;
    try {
      if (!validated) {
        const checked = this.validateArguments(definition, args, call.owned);
        args = checked instanceof Promise ? await checked : checked;
        validated = true;
      }
      // The service runs here, not in a helper: one async frame less per call.
      let result: unknown;
      const timeoutMs = this.deadlines.timeoutOf(definition);
      try {
        // `args` passed the service's contract (or it declares none): it is what `call` takes.
        result = timeoutMs
          ? await runWithDeadline({ name: definition.name, timeoutMs, context, overrun: call.overrun }, (timed) =>
              definition.instance.call(args as never, timed),
            )
          : await definition.instance.call(args as never, context);
      } catch (error) {
        result = await this.rescue(definition, error, args);
      }
      response = checkResponse(definition, result);
      if (definition.result && response.success) {
        const checked = definition.result.validate(response.data, `result of ${definition.name}`);
        if (checked instanceof Promise) await checked;
      }
    } catch (error) {
      if (definition.emits?.error.length) await this.emitError(definition, error, args);
      const ms = this.finish(definition, context, started, undefined, error);
      if (validated) this.logger.raised(definition.name, label, error, ms);
      else this.logger.refused(definition.name, label, error, ms);
      throw error;
    }
    if (definition.emits?.[response.success ? 'success' : 'failure'].length)
      await this.emitOutcome(call, response, args, started);
    this.logger.finished(definition.name, label, response, this.finish(definition, context, started, response));
    return response;
  }

  /** `@Emits` of the outcome; if they fail, the service's own outcome is logged and the caller learns its events failed. */
  private async emitOutcome(call: PipelineCall, response: ServiceResponse, args: unknown, started: number) {
    const { definition, label, context } = call;
    const trigger = response.success ? 'success' : 'failure';
    try {
      await this.events.emitOutcome(definition, trigger, response, args);
    } catch (error) {
      const emitError = new EventEmitError(definition.name, trigger, error);
      this.logger.finished(
        definition.name,
        label,
        response,
        this.finish(definition, context, started, undefined, emitError),
      );
      throw emitError;
    }
  }

  /** The call's duration, reported to the observers with its outcome: the response, else the exception. */
  private finish(
    definition: ServiceDefinition,
    context: CallContext | undefined,
    started: number,
    response: ServiceResponse | undefined,
    error?: unknown,
  ): number {
    // A success nobody logs or observes needs no second clock read.
    const observed = this.observers.has('callFinished');
    const durationMs =
      started && (observed || !response || this.logger.logsOutcome(response)) ? performance.now() - started : 0;
    // Stryker disable next-line ConditionalExpression: equivalent fast path (callFinished loops over no listener)
    if (observed) {
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

  /**
   * What the service receives for `args` (defaults filled, or its DTO), or a thrown ValidationError.
   * `owned`: `args` may be filled in place (no copy); otherwise the caller's object is never changed.
   */
  validateArguments(definition: ServiceDefinition, args: unknown, owned = false): unknown {
    return definition.arguments ? definition.arguments.validate(args, `arguments for ${definition.name}`, owned) : args;
  }

  /** 'error' events fire before the exception propagates; their own failure must not replace it. */
  private async emitError(definition: ServiceDefinition, error: unknown, args: unknown): Promise<void> {
    try {
      await this.events.emitOutcome(definition, 'error', error, args);
    } catch {
      // Already logged by the bus; the caller gets the service's own exception.
    }
  }

  /** `@RescueFrom` applied to what `call` threw: the rescued response, else the exception again. */
  private async rescue(definition: ServiceDefinition, error: unknown, args: unknown): Promise<ServiceResponse> {
    const rescued = definition.rescuer.isEmpty ? undefined : await definition.rescuer.rescue(error, args);
    if (rescued) return rescued;
    throw error;
  }
}

function checkResponse(definition: ServiceDefinition, result: unknown): ServiceResponse {
  if (ServiceResponse.isResponse(result)) return result;
  throw new TypeError(`${definition.name}.call() must return this.success(data) or this.failure(message, Type)`);
}
