import { ServiceResponse } from '../response/service-response';
import { ServiceDefinition } from '../service/service-definition';
import { AsyncJobStatus } from './async-job-status.interface';
import { AsyncReceipt, CallAsyncOptions } from './call-async-options.interface';

/**
 * The one seam between the executor and a job system. The BullMQ adapter in `async/`
 * implements it; the testing adapters (fake, inline) plug in at the same place.
 */
export interface AsyncDispatcher {
  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt>;
  /** undefined when there is no such job (never enqueued, or removed after its retention). */
  status(receipt: AsyncReceipt): Promise<AsyncJobStatus | undefined>;
  result(receipt: AsyncReceipt, timeoutMs: number): Promise<ServiceResponse>;
}

export const ASYNC_DISPATCHER = Symbol('servus:async_dispatcher');
