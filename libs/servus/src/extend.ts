/**
 * nestjs-servus/extend: extension points. Another async adapter (the dispatcher port), observers
 * of calls and jobs, the compiled service definitions, entity locators for callAsync arguments,
 * custom error types, and the pieces ServusHttpModule wires. An application rarely needs them.
 */

// The async adapter port (ServusModule wires BullMQ's; ServusTestingModule its test queue)
export {
  AsyncDispatcher,
  ASYNC_DISPATCHER,
  PreparedCall,
  QueueJobCounts,
  JOB_STATES,
} from './execution/async-dispatcher.interface';
export { ServusWorker } from './async/servus-worker';
export { QueueConsumerState } from './execution/queue-health.port';

// Observing calls and jobs
export { ServusObservers, ServusObserver, CallObservation, JobObservation } from './execution/servus-observers';
export { ServusTracing, SERVUS_TRACER, TraceCarrier } from './tracing/servus-tracing';

// Services as compiled at boot
export { ServiceDefinition } from './service/service-definition';
export { ServiceRegistry } from './service/service-registry';
export { ServiceAsyncOptions } from './service/service-options.interface';
export { Contract } from './service/contract.interface';
export { ValidationDetail } from './validation/validation-error.factory';
export { InvalidSchemaError } from './validation/invalid-schema.error';
export { DuplicateServiceNameError } from './service/duplicate-service-name.error';

// Rescue and errors
export { RescueHandler, ErrorClass } from './rescue/rescue-from.decorator';
export { RescueContext } from './rescue/rescue-context';
export { ServiceErrorType, ServiceErrorOptions, SerializedServiceError } from './response/service-error';
export { SerializedResponse } from './response/service-response';
export { registerErrorType } from './response/error-types';
export { DuplicateErrorTypeError } from './response/duplicate-error-type.error';

// Events
export { EmitsOptions, EmitTrigger, EmitPayload } from './service/emit-config';
export { EventHandlerOptions } from './events/event-handler.decorator';
export { InvokeOptions } from './events/invoke.decorator';
export { EmitReport, InvocationOutcome } from './events/emit-report.interface';
export { EventEmitError } from './execution/event-emit.error';
export { EventInvocationsError } from './events/event-invocations.error';

// Entities as callAsync arguments
export { EntityLocator } from './globalid/entity-locator.interface';
export { TypeOrmEntityLocator, DataSourceLike } from './globalid/typeorm-entity.locator';
export { EntityNotFoundError } from './globalid/entity-not-found.error';

// Context, logging and HTTP pieces
export { ContextValues } from './execution/servus-context';
export { REDACTED, DEFAULT_REDACT_KEYS } from './execution/redact';
export { ServusContextMiddlewareOptions } from './http/servus-context.middleware';
export { ServiceErrorFilter, ErrorBody } from './http/service-error.filter';
export { ServiceResponseInterceptor } from './http/service-response.interceptor';

// The outbox: the data-layer port, the relay's options and state
export { OutboxStore, OutboxEntry, OutboxRow, OutboxListener, ParkedRow } from './outbox/outbox-store.interface';
export { OutboxRelayOptions, ServusOutboxOptions } from './outbox/outbox-options.interface';
export { OutboxStats, OutboxRelayState, OutboxRelayStatus } from './execution/outbox-monitor.port';

// Types for code that is generic over services, and option parts users rarely name
export { ArgsOf, DataOf } from './service/service-base';
export { RedisClusterConnection } from './async/async-options.interface';
export { ServusBullmqOptions } from './async/bullmq-interop-options.interface';
