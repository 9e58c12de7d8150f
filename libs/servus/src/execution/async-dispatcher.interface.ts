import { ServiceDefinition } from '../service/service-definition';
import { AsyncReceipt, CallAsyncOptions } from './call-async-options.interface';

/**
 * The one seam between the executor and a job system. The BullMQ adapter in `async/`
 * implements it; the testing adapters (fake, inline) plug in at the same place.
 */
export interface AsyncDispatcher {
  enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt>;
}

export const ASYNC_DISPATCHER = Symbol('servus:async_dispatcher');
