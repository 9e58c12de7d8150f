import { EventsModuleOptions } from './events-options.interface';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { EmitPort, OutcomeEmitter } from '../execution/emit-port';
import { ServusExecutor } from '../execution/servus-executor';
import { escapeLog, escapeStack } from '../util/escape-log';
import { ServiceDefinition } from '../service/service-definition';
import { EmitReport, InvocationOutcome } from './emit-report.interface';
import { EmitConfig, EmitTrigger } from '../service/emit-config';
import { EventRegistry, HandlerBinding, Invocation } from './event-registry';
import { EventInvocationsError } from './event-invocations.error';
import { ServusObservers } from '../execution/servus-observers';
import { EnqueueBatch } from './enqueue-batch';

/**
 * The event bus. Emits run every handler of the event, each `@Invoke` in declaration
 * order: `if`/`unless` decide, the method maps the payload, the target is called
 * in-process or enqueued.
 *
 * Failures (documented choice, as in Servus): an exception of an in-process invocation,
 * a JobEnqueueError of an async one, or an invalid payload rejects the emit, and so the
 * `executor.call` whose outcome emitted it, after every other invocation has run. With
 * `events: { handlerErrors: 'isolate' }` they are logged and reported instead. Either
 * way nothing escapes as an unhandled rejection.
 *
 * @publicApi
 */
@Injectable()
export class ServusEvents implements OutcomeEmitter {
  private readonly logger = new Logger('Servus');
  private readonly isolate: boolean;

  constructor(
    private readonly registry: EventRegistry,
    private readonly executor: ServusExecutor,
    emitPort: EmitPort,
    @Inject(SERVUS_MODULE_OPTIONS) options: EventsModuleOptions,
    private readonly observers: ServusObservers,
  ) {
    this.isolate = options.events?.handlerErrors === 'isolate';
    emitPort.connect(this);
  }

  /** Emits `event` with `payload` to its handlers. */
  async emit(event: string, payload: unknown): Promise<EmitReport> {
    if (this.observers.observed.emitted) this.observers.emitted(event, payload);
    // Every invocation is decided and mapped in declaration order; in-process ones run then, one
    // after the other; async ones are collected and sent together once all are mapped (one round
    // trip per queue, not one per handler). Outcomes stay in declaration order.
    const batch = new EnqueueBatch(this.executor);
    const pending: Array<Promise<InvocationOutcome>> = [];
    for (const handler of this.registry.handlersOf(event))
      pending.push(...(await this.runHandler(handler, payload, batch)));
    await batch.flush();
    const outcomes = await Promise.all(pending);
    const errors = outcomes.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.error);
    if (errors.length && !this.isolate)
      throw errors.length === 1 ? errors[0] : new EventInvocationsError(event, errors);
    return { event, outcomes };
  }

  /**
   * The pipeline's side: every event the service declares for this trigger, with its payload.
   * All are emitted even when one fails; then the failure (several: an EventInvocationsError).
   * A payload function that throws counts as a failed emit, isolated like the others.
   */
  async emitOutcome(
    definition: ServiceDefinition,
    trigger: EmitTrigger,
    outcome: unknown,
    args: unknown,
  ): Promise<void> {
    const errors: unknown[] = [];
    for (const config of definition.emits![trigger]) {
      try {
        await this.emit(config.event, payloadOf(config, definition, trigger, outcome, args));
      } catch (error) {
        if (this.isolate)
          this.logger.error(
            `Payload of event ${config.event} from ${definition.name} failed: ${escapeLog((error as Error)?.message ?? error)}`,
          );
        else errors.push(error);
      }
    }
    if (errors.length)
      throw errors.length === 1 ? errors[0] : new EventInvocationsError(`${definition.name} ${trigger}`, errors);
  }

  /** The handler's outcomes: an async invocation's still pending (its job on its way). */
  /** The handler's outcomes, in order; an async invocation's stays pending until the emit's batch is sent. */
  private async runHandler(
    handler: HandlerBinding,
    payload: unknown,
    batch: EnqueueBatch,
  ): Promise<Array<Promise<InvocationOutcome>>> {
    let checked = payload;
    if (handler.payload) {
      try {
        checked = await handler.payload.validate(payload, `payload of ${handler.event} for ${handler.name}`);
      } catch (error) {
        return handler.invocations.map((invocation) => Promise.resolve(this.failed(invocation, error)));
      }
    }
    const outcomes: Array<Promise<InvocationOutcome>> = [];
    for (const invocation of handler.invocations) outcomes.push(...(await this.invoke(invocation, checked, batch)));
    return outcomes;
  }

  /**
   * Decides and maps one invocation; an in-process one runs now. Its outcome comes in a
   * one-item array: an async one's is still pending (a promise returned bare would be awaited).
   */
  private async invoke(
    invocation: Invocation,
    payload: unknown,
    batch: EnqueueBatch,
  ): Promise<[Promise<InvocationOutcome>]> {
    const { options, target } = invocation;
    try {
      if ((options.if && !options.if(payload)) || (options.unless && options.unless(payload)))
        return [Promise.resolve(outcome(invocation, 'skipped'))];
      // Awaited only when the method returned a promise (or thenable): one microtask hop less per invocation.
      const mapped = invocation.map(payload);
      const args = typeof (mapped as PromiseLike<unknown> | undefined)?.then === 'function' ? await mapped : mapped;
      if (options.async)
        return [
          batch.add(target.type, args, invocation.callOptions).then(
            (receipt) => Object.assign(outcome(invocation, 'enqueued'), { receipt }),
            (error) => this.failed(invocation, error),
          ),
        ];
      const response = await this.executor.call(target.type, args as never);
      return [Promise.resolve(Object.assign(outcome(invocation, 'called'), { response }))];
    } catch (error) {
      return [Promise.resolve(this.failed(invocation, error))];
    }
  }

  private failed(invocation: Invocation, error: unknown): InvocationOutcome {
    const reason = escapeLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    this.logger.error(
      `Event invocation ${invocation.name} -> ${invocation.target.name} failed: ${reason}`,
      escapeStack(error),
    );
    return Object.assign(outcome(invocation, 'failed'), { error });
  }
}

/** An invocation's outcome, its fields written out: spread over shared ones, it would cost 1-3 µs (util/own-copy). */
function outcome(invocation: Invocation, status: InvocationOutcome['status']): InvocationOutcome {
  return { invocation: invocation.name, service: invocation.target.name, status };
}

function payloadOf(
  config: EmitConfig,
  definition: ServiceDefinition,
  trigger: EmitTrigger,
  outcome: unknown,
  args: unknown,
): unknown {
  const { payload } = config;
  if (payload === undefined)
    return trigger === 'error'
      ? outcome
      : (outcome as { data?: unknown; error?: unknown })[trigger === 'success' ? 'data' : 'error'];
  if (typeof payload === 'function') return payload(outcome, args);
  const method = (definition.instance as unknown as Record<string, (outcome: unknown, args: unknown) => unknown>)[
    payload
  ];
  return method.call(definition.instance, outcome, args);
}
