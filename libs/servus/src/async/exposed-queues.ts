import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';

/**
 * The Servus queues an app injects with `@InjectQueue(name)` (option `bullmq.exposeQueues`). They
 * are made from BullModule's connection options, not from Servus's fail-fast producer client: the
 * app's `@QueueEventsListener` and bull-board copy a queue's connection for their blocking reads,
 * which a client that times out its commands would break.
 */
export class ExposedQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('Servus');
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: ConnectionOptions | undefined,
    private readonly prefix: string,
  ) {}

  /** The queue of that name, made on first request. */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection ?? {}, prefix: this.prefix });
      queue.on('error', (error) => this.logger.warn(`Exposed queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
