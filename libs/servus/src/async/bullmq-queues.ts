import { QueueHandles } from '../execution/queue-handles.port';
import { AsyncModuleOptions } from './async-options.interface';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncError } from '../response/async-errors';
import { QueueNames } from './queue-names';
import { CLAIM_IDEMPOTENCY_KEY } from './idempotency';
import { ServusQueue } from './servus-queue';
import { createRedisClient, DEFAULT_ENQUEUE_TIMEOUT_MS, RedisClient, whenReady } from './redis-connection';

/**
 * The producer side's BullMQ objects: one fail-fast Redis connection shared by a Queue per
 * queue name (results are awaited through FinishEvents). Everything is opened on first use, so
 * a process that only calls services in-process never connects.
 */
@Injectable()
export class BullmqQueues implements QueueHandles, OnApplicationShutdown {
  private readonly logger = new Logger('Servus');
  private readonly queues = new Map<string, Queue>();
  private readonly timeoutMs: number;
  private client?: RedisClient;
  private readiness?: Promise<void>;
  /** Shut down: a later call (a request still in flight, a background promise) opens no connection nobody closes. */
  private closed = false;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: AsyncModuleOptions,
    readonly queueNames: QueueNames,
  ) {
    this.timeoutMs = options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS;
  }

  /** The Queue of a declared name, its connection ready (or an error within `timeoutMs`). */
  async ready(name: string): Promise<Queue> {
    return this.readyNow(name);
  }

  /** The Queue of a declared name when its connection is ready; else a promise of it (an error within `timeoutMs`). */
  readyNow(name: string): Queue | Promise<Queue> {
    const queue = this.queue(name);
    const client = this.readyClient();
    return client instanceof Promise ? client.then(() => queue) : queue;
  }

  /** Publishes on the producer connection (ready within `timeoutMs`). */
  async publish(channel: string, message: string): Promise<void> {
    await (await this.readyClient()).publish(channel, message);
  }

  /**
   * Binds an idempotency key of `queue` to `digest` for `ttlMs` unless it is bound already:
   * answers the digest it was bound to before, or null when this call bound it.
   */
  async claimIdempotencyKey(queue: string, key: string, digest: string, ttlMs: number): Promise<string | null> {
    const client = await this.readyClient();
    const redisKey = `${this.queue(queue).qualifiedName}:servus-idempotency:${key}`;
    return (await client.eval(CLAIM_IDEMPOTENCY_KEY, 1, redisKey, digest, String(ttlMs))) as string | null;
  }

  /** The producer connection, ready (or an error within `timeoutMs`): commands on it fail fast. */
  async redis(): Promise<RedisClient> {
    return this.readyClient();
  }

  /** Resolves when Redis answers a PING on the producer connection, within `timeoutMs`; rejects otherwise. */
  async ping(): Promise<void> {
    await (await this.readyClient()).ping();
  }

  /**
   * The producer connection, connected on first use and ready. Without an offline queue, commands
   * sent before the first connect would fail at once; a burst shares one wait (not a listener and
   * a timer each), and a ready client costs no await beyond the caller's.
   */
  private readyClient(): RedisClient | Promise<RedisClient> {
    const client = this.connected();
    if (client.status === 'ready') return client;
    this.readiness ??= whenReady(client, this.timeoutMs).finally(() => (this.readiness = undefined));
    return this.readiness.then(() => client);
  }

  names(): readonly string[] {
    return this.queueNames.all;
  }

  handle(name: string): Queue {
    return this.queue(name);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new ServusQueue(name, { connection: this.connected(), prefix: this.queueNames.prefix });
      queue.on('error', (error) => this.logger.warn(`Queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The producer connection, opened on first use; none once the application is shut down. */
  private connected(): RedisClient {
    if (this.closed) throw new AsyncError('the application is shut down: Servus sends nothing to Redis any more');
    return (this.client ??= createRedisClient(this.options, 'producer'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.queues.values()].map((item) => item.close()));
    this.queues.clear();
    this.client?.disconnect();
    this.client = undefined;
  }
}
