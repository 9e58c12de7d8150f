import { Injectable } from '@nestjs/common';
import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { CallContext } from '../service/call-context';
import { EmitPort } from './emit-port';
import { EventEmitError } from './event-emit.error';
import { CallLabel, ServiceLogger } from './service-logger';
import { callObservation, ServusObservers } from './servus-observers';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';
import { CallDeadlines, runWithDeadline } from './call-deadline';

/** One run of a service through the pipeline. */
export interface PipelineCall {
  definition: ServiceDefinition;
  args: unknown;
  /** Where the call runs (the worker passes its job), for the log lines; a function is called only for a line that prints. */
  label?: CallLabel;
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

  /**
   * The pipeline without an async frame: the service's promise is followed with `then`, and each
   * later step is a plain function unless it has something to wait for (a contract that answers a
   * promise, a rescue, events). A no-op call adds one promise reaction to an awaited direct call
   * (an async frame would add its own frame and promise too). Nothing is thrown synchronously: a
   * failure of any step rejects.
   */
  private execute(call: PipelineCall): Promise<ServiceResponse> {
    try {
      const { definition } = call;
      // Stryker disable next-line ConditionalExpression: equivalent fast path (callStarted loops over no listener)
      if (this.observers.observed.callStarted) this.observers.callStarted(definition, call.args);
      // No clock read when neither a log line nor an observer will show the duration.
      const timed = this.logger.begin() || this.observers.observed.callFinished;
      this.logger.called(definition.name, call.label, 'logged' in call ? call.logged : call.args);
      const started = timed ? performance.now() : 0;
      return definition.arguments === undefined ? this.invoke(call, call.args, started) : this.validated(call, started);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a step's throw, rejected as is
      return Promise.reject(error);
    }
  }

  /** Invalid arguments are the caller's mistake, logged apart from the service's own exceptions (`refused`). */
  private validated(call: PipelineCall, started: number): Promise<ServiceResponse> {
    const { args } = call;
    let checked: unknown;
    try {
      checked = this.validateArguments(call.definition, args, call.owned);
    } catch (error) {
      return this.raise(call, args, started, error, false);
    }
    // `checked` passed the service's contract: it is what `call` takes.
    return checked instanceof Promise
      ? checked.then(
          (valid) => this.invoke(call, valid, started),
          (error) => this.raise(call, args, started, error, false),
        )
      : this.invoke(call, checked, started);
  }

  /** Runs the service (under its deadline if it has one); its exception goes to `@RescueFrom`. */
  private invoke(call: PipelineCall, args: unknown, started: number): Promise<ServiceResponse> {
    const { definition, context } = call;
    const timeoutMs = this.deadlines.timeoutOf(definition);
    let running: unknown;
    try {
      running = timeoutMs
        ? runWithDeadline({ name: definition.name, timeoutMs, context, overrun: call.overrun }, (timed) =>
            definition.instance.call(args as never, timed),
          )
        : definition.instance.call(args as never, context);
    } catch (error) {
      return this.recover(call, args, started, error);
    }
    return Promise.resolve(running).then(
      (result) => this.settle(call, args, started, result),
      (error) => this.recover(call, args, started, error),
    );
  }

  /** `@RescueFrom` applied to what `call` threw: the rescued response goes on as the service's, else it is raised. */
  private async recover(call: PipelineCall, args: unknown, started: number, error: unknown): Promise<ServiceResponse> {
    const { rescuer } = call.definition;
    let rescued: ServiceResponse | undefined;
    try {
      rescued = rescuer.isEmpty ? undefined : await rescuer.rescue(error, args);
    } catch (thrown) {
      return this.raise(call, args, started, thrown);
    }
    return rescued ? this.settle(call, args, started, rescued) : this.raise(call, args, started, error);
  }

  /** The service's answer: a response (else a TypeError), its data checked against the result contract. */
  private settle(call: PipelineCall, args: unknown, started: number, result: unknown) {
    const { definition } = call;
    let response: ServiceResponse;
    let checked: unknown;
    try {
      response = checkResponse(definition, result);
      checked =
        definition.result && response.success
          ? definition.result.validate(response.data, `result of ${definition.name}`)
          : undefined;
    } catch (error) {
      return this.raise(call, args, started, error);
    }
    // Past the checks: what concluding throws (a logger's own error) rejects the call as it is, not as the service's.
    return checked instanceof Promise
      ? checked.then(
          () => this.conclude(call, args, started, response),
          (error) => this.raise(call, args, started, error),
        )
      : this.conclude(call, args, started, response);
  }

  /** Emits the outcome's events, if any, then logs the outcome with its duration. */
  private conclude(call: PipelineCall, args: unknown, started: number, response: ServiceResponse) {
    if (call.definition.emits?.[response.success ? 'success' : 'failure'].length)
      return this.emitOutcome(call, response, args, started);
    this.logOutcome(call, started, response);
    return response;
  }

  /**
   * An exception out of the pipeline: 'error' events, then the line (`refused` for arguments the
   * contract refused, `raised` otherwise) with its duration, and the exception rethrown.
   */
  private async raise(
    call: PipelineCall,
    args: unknown,
    started: number,
    error: unknown,
    validated = true,
  ): Promise<never> {
    const { definition, label } = call;
    // 'error' events fire before the exception propagates; their own failure (logged by the bus) must not replace it.
    if (definition.emits?.error.length)
      try {
        await this.events.emitOutcome(definition, 'error', error, args);
      } catch {
        // Logged by the bus.
      }
    const ms = this.finish(call, started, undefined, error);
    if (validated) this.logger.raised(definition.name, label, error, ms);
    else this.logger.refused(definition.name, label, error, ms);
    throw error;
  }

  /** `@Emits` of the outcome; if they fail, the service's outcome is logged and the caller learns its events failed. */
  private async emitOutcome(call: PipelineCall, response: ServiceResponse, args: unknown, started: number) {
    const trigger = response.success ? 'success' : 'failure';
    try {
      await this.events.emitOutcome(call.definition, trigger, response, args);
    } catch (error) {
      const emitError = new EventEmitError(call.definition.name, trigger, error);
      this.logOutcome(call, started, response, emitError);
      throw emitError;
    }
    this.logOutcome(call, started, response);
    return response;
  }

  /** The outcome line; `error`: the events of a response failed (observers see an exception). */
  private logOutcome(call: PipelineCall, started: number, response: ServiceResponse, error?: unknown): void {
    const ms = this.finish(call, started, error === undefined ? response : undefined, error);
    this.logger.finished(call.definition.name, call.label, response, ms);
  }

  /** The call's duration, reported to the observers with its outcome: the response, else the exception. */
  private finish(call: PipelineCall, started: number, response: ServiceResponse | undefined, error?: unknown): number {
    // A success nobody logs or observes needs no second clock read.
    const observed = this.observers.observed.callFinished;
    const durationMs =
      started && (observed || !response || this.logger.logsOutcome(response)) ? performance.now() - started : 0;
    // Stryker disable next-line ConditionalExpression: equivalent fast path (callFinished loops over no listener)
    if (observed)
      this.observers.callFinished(callObservation(call.definition, call.context, durationMs, response, error));
    return durationMs;
  }

  /**
   * What the service receives for `args` (defaults filled, or its DTO), or a thrown ValidationError.
   * `owned`: `args` may be filled in place (no copy); otherwise the caller's object is never changed.
   */
  validateArguments(definition: ServiceDefinition, args: unknown, owned = false): unknown {
    return definition.arguments ? definition.arguments.validate(args, `arguments for ${definition.name}`, owned) : args;
  }
}

function checkResponse(definition: ServiceDefinition, result: unknown): ServiceResponse {
  if (ServiceResponse.isResponse(result)) return result;
  throw new TypeError(`${definition.name}.call() must return this.success(data) or this.failure(message, Type)`);
}
