import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AsyncDispatcher } from '../execution/async-dispatcher.interface';
import { AsyncReceipt, CallAsyncOptions } from '../execution/call-async-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../module/servus.tokens';
import { ServusModuleOptions } from '../module/servus-options.interface';
import { JobEnqueueError } from '../response/async-errors';
import { ServiceDefinition } from '../service/service-definition';
import { buildJobOptions } from './job-options';
import { encodePayload, findNonJson } from './job-payload.codec';
import { QueueNames } from './queue-names';
import { createRedisClient, whenReady } from './redis-connection';

export const DEFAULT_ENQUEUE_TIMEOUT_MS = 2000;

/**
 * `callAsync` on BullMQ. One fail-fast Redis connection serves every queue; it is opened on
 * the first enqueue, so a process that only calls services in-process never connects.
 */
@Injectable()
export class BullmqDispatcher implements AsyncDispatcher, OnApplicationShutdown {
  private readonly logger = new Logger('Servus');
  private readonly queues = new Map<string, Queue>();
  private readonly timeoutMs: number;
  private client?: Redis;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: ServusModuleOptions,
    private readonly names: QueueNames,
  ) {
    this.timeoutMs = options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS;
  }

  async enqueue(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): Promise<AsyncReceipt> {
    const service = definition.name;
    const queueName = options.queue ?? definition.options.async?.queue ?? definition.options.queue ?? this.names.defaultQueue;
    if (!this.names.exists(queueName)) {
      throw new JobEnqueueError(service, `queue "${queueName}" is not one of the module's queues (${this.names.all.join(', ')})`);
    }
    const problem = findNonJson(args);
    if (problem) throw new JobEnqueueError(service, problem);
    let jobOptions;
    try {
      jobOptions = buildJobOptions(this.options.defaultJobOptions, definition.options.async, options);
    } catch (error) {
      throw new JobEnqueueError(service, (error as Error).message, { cause: error });
    }
    try {
      const job = await withTimeout(this.add(queueName, service, args, jobOptions), this.timeoutMs);
      return { jobId: job.id!, queue: queueName, service };
    } catch (error) {
      throw new JobEnqueueError(service, `Redis did not take the job: ${(error as Error).message}`, { cause: error });
    }
  }

  private async add(queueName: string, service: string, args: unknown, jobOptions: object) {
    const queue = this.queue(queueName);
    // Without an offline queue, commands sent before the first connect would fail at once.
    if (this.client!.status !== 'ready') await whenReady(this.client!, this.timeoutMs);
    return queue.add(service, encodePayload(service, args), jobOptions);
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.client ??= this.connect();
      queue = new Queue(name, { connection: this.client, prefix: this.names.prefix });
      queue.on('error', (error) => this.logger.warn(`Queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private connect(): Redis {
    const client = createRedisClient(this.options, 'producer');
    // ioredis reconnects by itself; an 'error' listener keeps its errors from crashing the process.
    let lastWarned = 0;
    client.on('error', (error) => {
      if (Date.now() - lastWarned > 10_000) {
        lastWarned = Date.now();
        this.logger.warn(`Redis (enqueue): ${error.message}`);
      }
    });
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    if (this.client) this.client.disconnect();
    this.client = undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
