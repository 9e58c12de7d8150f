/**
 * nestjs-servus: what an application writes with. Extension points (adapters, observers,
 * definitions, entity locators, HTTP pieces) are in `nestjs-servus/extend`; tests, metrics,
 * health and the dashboard have their own entries (`/testing`, `/metrics`, `/health`, `/dashboard`).
 */

// The module and its options
export { ServusModule } from './module/servus.module';
export {
  ServusModuleOptions,
  ServusModuleAsyncOptions,
  ServusOptionsFactory,
  ServusLoggingOptions,
  ServusEventsOptions,
  ServusValidationOptions,
} from './module/servus-options.interface';
export { ServusWorkerOptions } from './async/async-options.interface';
export { runServusWorker, RunServusWorkerOptions } from './async/run-servus-worker';
export { ServusHttpModule } from './http/servus-http.module';

// Services
export { Service } from './service/service.decorator';
export { ServiceBase } from './service/service-base';
export { ServiceOptions } from './service/service-options.interface';
export { CallContext } from './service/call-context';
export { RescueFrom } from './rescue/rescue-from.decorator';
export { Emits } from './events/emits.decorator';
export { EventHandler } from './events/event-handler.decorator';
export { Invoke } from './events/invoke.decorator';
export { Locator } from './globalid/locator.decorator';

// Calling them
export { ServusExecutor } from './execution/servus-executor';
export { CallAsyncOptions, AsyncReceipt, AsyncCall, JobRef } from './execution/call-async-options.interface';
export { AsyncJobStatus } from './execution/async-job-status.interface';
export { CancelResult } from './execution/async-dispatcher.interface';
export { ScheduleOptions, ScheduleInfo } from './service/schedule-options.interface';
export { ServusEvents } from './events/servus-events';
export { ServusContext } from './execution/servus-context';
export { servusContextMiddleware } from './http/servus-context.middleware';

// Transactional enqueue
export { TypeOrmOutboxStore } from './outbox/typeorm-outbox.store';
export { ServusOutboxMigration1764633600000 } from './outbox/servus-outbox.migration';

// Results and errors
export { ServiceResponse, SuccessResponse, FailureResponse } from './response/service-response';
export { ServiceError } from './response/service-error';
export {
  BadRequestError,
  AuthenticationError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  UnprocessableEntityError,
  ValidationError,
  InternalServerError,
  ServiceUnavailableError,
  ServiceTimeoutError,
} from './response/http-errors';
export { AsyncError, JobEnqueueError, IdempotencyConflictError, ServiceNotFoundError } from './response/async-errors';
