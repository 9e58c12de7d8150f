import { ServiceDefinition } from '../service/service-definition';

/** The queue a service's jobs go to (its `queue`, else the module's default): what the executor asks of the async adapter. */
export interface QueueResolver {
  queueOf(definition: ServiceDefinition): string;
}

/** Injection token of the QueueResolver (the BullMQ adapter's QueueNames, or the testing module's). */
export const QUEUE_RESOLVER = Symbol('QUEUE_RESOLVER');
