import { Inject, Injectable, Type } from '@nestjs/common';
import { AsyncError, ServiceNotFoundError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { AnyService, ArgsOf, DataOf } from '../service/service-base';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ASYNC_DISPATCHER, AsyncDispatcher, CancelResult, PreparedCall } from './async-dispatcher.interface';
import { AsyncJobStatus } from './async-job-status.interface';
import { AsyncCall, AsyncReceipt, CallAsyncOptions, JobRef } from './call-async-options.interface';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { ServicePipeline } from './service-pipeline';
import { atIndex } from '../util/at-index';
import { ServusObservers } from './servus-observers';
import { QUEUE_RESOLVER, QueueResolver } from './queue-resolver.port';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';

/** The longest delay a Node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `[args]`, optional when the service's arguments may be undefined. */
type ArgsTuple<S> = undefined extends ArgsOf<S> ? [args?: ArgsOf<S>] : [args: ArgsOf<S>];

/**
 * Runs services: `call` now, in this process; `callAsync` in a worker, through the queue.
 *
 * @example
 * const result = await executor.call(GenerateReport, { userId: 1, reportType: 'monthly' });
 * if (result.success) result.data; else result.error.apiError();
 *
 * @publicApi
 */
@Injectable()
export class ServusExecutor {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly pipeline: ServicePipeline,
    private readonly accessor: ServusMetadataAccessor,
    @Inject(ASYNC_DISPATCHER) private readonly dispatcher: AsyncDispatcher,
    private readonly observers: ServusObservers,
    private readonly tracing: ServusTracing,
    @Inject(QUEUE_RESOLVER) private readonly names: QueueResolver,
  ) {}

  /** Runs the service now and resolves to its response. Unrescued exceptions reject. */
  call<S extends AnyService>(service: Type<S>, ...args: ArgsTuple<S>): Promise<ServiceResponse<DataOf<S>>>;
  call(service: string, args?: unknown): Promise<ServiceResponse>;
  call(service: Type | string, args?: unknown): Promise<ServiceResponse> {
    // Not async: one frame less per call; an unknown service still rejects rather than throws.
    let definition: ServiceDefinition;
    try {
      definition = this.resolve(service);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- resolve() throws ServiceNotFoundError, rejected as it is
      return Promise.reject(error);
    }
    return this.pipeline.run({ definition, args });
  }

  /** Enqueues the service for a worker; resolves once the job is stored in Redis. */
  callAsync<S extends AnyService>(service: Type<S>, args: ArgsOf<S>, options?: CallAsyncOptions): Promise<AsyncReceipt>;
  callAsync(service: string, args?: unknown, options?: CallAsyncOptions): Promise<AsyncReceipt>;
  async callAsync(service: Type | string, args?: unknown, options: CallAsyncOptions = {}): Promise<AsyncReceipt> {
    const definition = this.resolve(service);
    let jobArgs = this.jobArguments(definition, args);
    if (jobArgs !== args && jobArgs instanceof Promise) jobArgs = await jobArgs;
    const receipt = this.tracing.active()
      ? await this.tracedEnqueue(definition, jobArgs, options)
      : await this.dispatcher.enqueue(definition, jobArgs, options);
    // Stryker disable next-line ConditionalExpression: equivalent fast path (enqueued loops over no listener)
    if (this.observers.observed.enqueued) this.observers.enqueued([receipt]);
    return receipt;
  }

  /** The producer span is active while the job is built, so the job carries its trace context. */
  private tracedEnqueue(
    definition: ServiceDefinition,
    args: unknown,
    options: CallAsyncOptions,
  ): Promise<AsyncReceipt> {
    return this.tracing.run(
      `send ${definition.name}`,
      SpanKind.PRODUCER,
      { 'servus.service': definition.name },
      async (span) => {
        const receipt = await this.dispatcher.enqueue(definition, args, options);
        span?.setAttributes({ 'messaging.destination.name': receipt.queue, 'messaging.message.id': receipt.jobId });
        return receipt;
      },
    );
  }

  /**
   * Enqueues many calls at once (BullMQ addBulk, one round trip per queue). Every item is
   * resolved, validated and checked first: a bad one rejects the batch, its error message
   * prefixed with `items[i]: `, and nothing is enqueued.
   */
  async callAsyncMany(items: AsyncCall[]): Promise<AsyncReceipt[]> {
    const prepared: PreparedCall[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        const definition = this.resolve(items[i].service as Type | string);
        let args = this.jobArguments(definition, items[i].args);
        if (args !== items[i].args && args instanceof Promise) args = await args;
        prepared.push({ definition, args, options: items[i].options ?? {} });
      } catch (error) {
        throw atIndex(error, i);
      }
    }
    const receipts = await this.tracing.run(
      `send ${items.length} calls`,
      SpanKind.PRODUCER,
      { 'messaging.batch.message_count': items.length },
      () => this.dispatcher.enqueueMany(prepared),
    );
    // Stryker disable next-line ConditionalExpression: equivalent fast path (enqueued loops over no listener)
    if (this.observers.observed.enqueued) this.observers.enqueued(receipts);
    return receipts;
  }

  /**
   * Arguments as they go into a job: validated here too, so the caller gets the error, not a dead job (the worker
   * checks again). Callers await the answer only when it is a promise other than `args`: a contract's own (a
   * class-validator DTO's), never arguments that are a promise let through as they are (the JSON check refuses
   * them; awaited, their value would go unchecked). No tick for a JSON Schema or no contract.
   */
  private jobArguments(definition: ServiceDefinition, args: unknown): unknown {
    const contract = definition.arguments;
    if (!contract) return args;
    const validated = this.pipeline.validateArguments(definition, args);
    return validated instanceof Promise && validated !== args
      ? validated.then((valid) => contract.toJson(valid))
      : contract.toJson(validated);
  }

  /**
   * Runs the service on a schedule (`every` or `cron`), in the workers. Idempotent by `id`
   * (default: the service name): scheduling again updates it. Arguments are checked as for callAsync.
   */
  schedule<S extends AnyService>(service: Type<S>, args: ArgsOf<S>, options: ScheduleOptions): Promise<ScheduleInfo>;
  schedule(service: string, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo>;
  async schedule(service: Type | string, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    const definition = this.resolve(service);
    let jobArgs = this.jobArguments(definition, args);
    if (jobArgs !== args && jobArgs instanceof Promise) jobArgs = await jobArgs;
    return this.dispatcher.schedule(definition, jobArgs, options);
  }

  /** Every schedule of the module's queues. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.dispatcher.schedules();
  }

  /** Removes a schedule; true if it existed. */
  unschedule(id: string, queue?: string): Promise<boolean> {
    return this.dispatcher.unschedule(id, queue);
  }

  /**
   * Cancels an async call: a job that has not started is removed; a running one gets its
   * `context.signal` aborted (in whichever worker runs it) and ends 'cancelled', not retried.
   * Cancellation of a running job is cooperative: a service that ignores the signal finishes.
   */
  cancel(receipt: JobRef | string): Promise<CancelResult> {
    return this.dispatcher.cancel(this.jobRef(receipt));
  }

  /** Where an async call stands; undefined when the job is unknown (or removed after its retention). */
  status(receipt: JobRef | string): Promise<AsyncJobStatus | undefined> {
    return this.dispatcher.status(this.jobRef(receipt));
  }

  /**
   * Waits for an async call to finish and resolves to its response. A job that failed for
   * good becomes a failure response carrying the error. Always bounded: rejects with
   * AsyncError at `timeoutMs` (default 30000; 1 to 2147483647, anything else is refused at
   * once), whatever Redis does meanwhile; Redis errors during the wait are retried, not thrown.
   */
  result<T = unknown>(
    receipt: JobRef | string,
    { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
  ): Promise<ServiceResponse<T>> {
    // A timer cannot wait longer than 2^31-1 ms (Node fires it at once instead); 0 is not "forever".
    if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS))
      return Promise.reject(
        new AsyncError(
          `result() needs timeoutMs between 1 and ${MAX_TIMER_MS} (milliseconds), got ${String(timeoutMs)}`,
        ),
      );
    return this.dispatcher.result(this.jobRef(receipt), timeoutMs) as Promise<ServiceResponse<T>>;
  }

  /**
   * A receipt as it is; a bare job id (on the module's default queue); a `{ jobId, service }`
   * without a queue: on that service's queue, where callAsync put it.
   */
  private jobRef(receipt: JobRef | string): JobRef {
    if (typeof receipt === 'string') return { jobId: receipt };
    // Stryker disable next-line ConditionalExpression: equivalent fast path (no service: findByName(undefined) finds none, and the receipt is answered as it is)
    if (receipt.queue !== undefined || receipt.service === undefined) return receipt;
    const definition = this.registry.findByName(receipt.service);
    return definition ? { ...receipt, queue: this.names.queueOf(definition) } : receipt;
  }

  /** The definition of a registered service, or an error that says how to register it. */
  private resolve(service: Type | string): ServiceDefinition {
    if (typeof service === 'string') {
      const definition = this.registry.findByName(service);
      if (definition) return definition;
      const known = this.registry.names();
      throw new ServiceNotFoundError(
        service,
        `no @Service() is registered under that name (registered: ${known.join(', ') || 'none'})`,
      );
    }
    const definition = this.registry.findByType(service);
    if (definition) return definition;
    const name = service?.name ?? String(service);
    throw new ServiceNotFoundError(
      name,
      this.accessor.isService(service)
        ? `add ${name} to the providers of a module of this application`
        : `decorate ${name} with @Service() and add it to the providers of a module`,
    );
  }
}
