import { QueueResolver } from '../execution/queue-resolver.port';
import { AsyncModuleOptions } from './async-options.interface';
import { Inject, Injectable } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { isCluster } from './redis-connection';
import { AsyncError } from '../response/async-errors';
import { ServiceDefinition } from '../service/service-definition';

export const DEFAULT_PREFIX = 'servus';

/** The queues the module declares, checked once at boot. */
@Injectable()
export class QueueNames implements QueueResolver {
  readonly all: readonly string[];
  readonly defaultQueue: string;
  readonly prefix: string;
  private readonly set: Set<string>;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions) {
    this.all = options.queues?.length ? [...options.queues] : ['default'];
    this.set = new Set(this.all);
    this.defaultQueue = options.defaultQueue ?? this.all[0];
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    if (!this.set.has(this.defaultQueue)) {
      throw new Error(
        `ServusModule: defaultQueue "${this.defaultQueue}" is not one of queues (${this.all.join(', ')})`,
      );
    }
    for (const name of this.all) {
      if (!name || name.includes(':'))
        throw new Error(`ServusModule: queue name "${name}" must be non-empty and contain no ':'`);
    }
    // BullMQ's scripts touch several keys of a queue at once: on a cluster they must share a slot (else CROSSSLOT).
    if (isCluster(options.connection) && !/\{[^{}]+\}/.test(this.prefix)) {
      throw new Error(
        `ServusModule: with a Redis Cluster connection the prefix needs a hash tag, e.g. "{${this.prefix}}" (got "${this.prefix}")`,
      );
    }
  }

  /** The pub/sub channel on which producers ask workers to abort a running job. */
  get cancelChannel(): string {
    return `${this.prefix}:servus:cancel`;
  }

  exists(name: string): boolean {
    return this.set.has(name);
  }

  /** The queue a call of the service goes to when the call names none. */
  queueOf(definition: ServiceDefinition): string {
    return definition.options.async?.queue ?? definition.options.queue ?? this.defaultQueue;
  }

  /**
   * Why `definition` may not run on `queue`, or undefined when it may: a service that declares a
   * queue runs only on it; one that declares none, on any of the module's queues.
   */
  notAllowed(definition: ServiceDefinition, queue: string): string | undefined {
    const declared = definition.options.async?.queue ?? definition.options.queue;
    if (declared === undefined || declared === queue) return undefined;
    return `${definition.name} runs on queue "${declared}" only (its @Service queue), not on "${queue}"`;
  }

  /** `queue` (default: the module's default queue) when the module declares it; AsyncError otherwise. */
  resolve(queue: string = this.defaultQueue): string {
    if (!this.set.has(queue))
      throw new AsyncError(`Queue "${queue}" is not one of the module's queues (${this.all.join(', ')})`);
    return queue;
  }
}
