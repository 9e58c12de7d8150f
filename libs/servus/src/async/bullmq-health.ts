import { Injectable } from '@nestjs/common';
import { ActiveJobAge, QueueConsumerState, QueueHealth } from '../execution/queue-health.port';
import { BullmqQueues } from './bullmq-queues';
import { ServusWorker } from './servus-worker';

/** QueueHealth of the BullMQ adapter: a PING on the producer connection, this process's workers and their jobs. */
@Injectable()
export class BullmqHealth implements QueueHealth {
  constructor(
    private readonly queues: BullmqQueues,
    private readonly worker: ServusWorker,
  ) {}

  ping(): Promise<void> {
    return this.queues.ping();
  }

  consumers(): QueueConsumerState[] {
    return this.worker.consumers();
  }

  oldestActiveJob(): ActiveJobAge | undefined {
    return this.worker.oldestActiveJob();
  }

  get isWorker(): boolean {
    return this.worker.settings !== undefined;
  }
}
