export { ServusExecutor } from './servus-executor';
export { CallAsyncOptions, AsyncReceipt, AsyncCall, JobRef } from './call-async-options.interface';
export { AsyncDispatcher, ASYNC_DISPATCHER, CancelResult } from './async-dispatcher.interface';
export { REDACTED, DEFAULT_REDACT_KEYS } from './redact';
export { ServusContext, ContextValues } from './servus-context';
export { AsyncJobStatus } from './async-job-status.interface';
export { ScheduleOptions, ScheduleInfo } from '../service/schedule-options.interface';
export { ServusObservers, ServusObserver, CallObservation, JobObservation } from './servus-observers';
export { QueueJobCounts, JOB_STATES } from './async-dispatcher.interface';
