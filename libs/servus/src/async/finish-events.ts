import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from './async-options.interface';
import { BullmqQueues } from './bullmq-queues';
import { createRedisClient, RedisClient } from './redis-connection';

/** Why a watcher is called: its job may have finished, or this process is closing. */
export type FinishListener = (closing: boolean) => void;

/** How long one XREAD blocks: also how long the loop lingers once nobody waits. */
const BLOCK_MS = 5000;
const BATCH = 1000;

/**
 * Completion events of every queue of the module, for result(): ONE blocking connection, opened
 * on the first wait, reading all queues' event streams with one XREAD (not a QueueEvents and its
 * connection per queue), and only while someone waits.
 *
 * A watcher is called when its job's `completed`/`failed` event arrives, and also after every
 * (re)positioning of the stream cursors (the first wait, a Redis error): the watcher then reads
 * the job's state, so a job that finished before or while the cursors were set is not missed.
 * Redis errors are logged (rate-limited) and retried; they never reach a caller.
 */
@Injectable()
export class FinishEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('Servus');
  /** queue -> job id -> watchers. */
  private readonly watchers = new Map<string, Map<string, Set<FinishListener>>>();
  private count = 0;
  private connection?: RedisClient;
  /** The last event id read per stream; undefined while not positioned. */
  private cursors?: string[];
  private running = false;
  private closed = false;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: AsyncModuleOptions,
    private readonly queues: BullmqQueues,
  ) {}

  /** Calls `listener` whenever `jobId` on `queue` may have finished, until the returned function is called. */
  watch(queue: string, jobId: string, listener: FinishListener): () => void {
    if (this.closed) {
      queueMicrotask(() => listener(true));
      return () => undefined;
    }
    let jobs = this.watchers.get(queue);
    if (!jobs) this.watchers.set(queue, (jobs = new Map<string, Set<FinishListener>>()));
    let listeners = jobs.get(jobId);
    if (!listeners) jobs.set(jobId, (listeners = new Set()));
    listeners.add(listener);
    this.count++;
    // Positioned: events from now on will be read, so the watcher's own state read is enough now.
    if (this.cursors) queueMicrotask(() => listener(false));
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return () => {
      if (!listeners.delete(listener)) return;
      this.count--;
      if (listeners.size === 0) jobs.delete(jobId);
    };
  }

  /** The loop: runs while anyone waits; never rejects. */
  private async run(): Promise<void> {
    // Every stream is read at once: the queues are fixed by the module's options.
    const names = this.queues.queueNames.all;
    const streams = names.map((name) => `${this.queues.queueNames.prefix}:${name}:events`);
    let failures = 0;
    while (!this.closed && this.count > 0) {
      try {
        if (!this.cursors) {
          this.cursors = await this.position(streams);
          this.notifyAll(false);
        }
        this.connection ??= createRedisClient(this.options, 'worker');
        const reply = await this.connection.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...streams,
          ...this.cursors,
        );
        failures = 0;
        if (reply) this.dispatch(reply, streams, names);
      } catch (error) {
        if (this.closed) break;
        // Positioned again after the error: events may have been missed in between.
        this.cursors = undefined;
        failures++;
        if (failures === 1 || failures % 30 === 0)
          this.logger.warn(`Waiting for results: ${(error as Error).message} (retrying)`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** failures, 1000)));
      }
    }
    // Nobody reads the streams from here on: the next wait positions anew.
    this.cursors = undefined;
    this.running = false;
  }

  /** The id of each stream's last event, as of now (on the producer connection: fails fast when Redis does not answer). */
  private async position(streams: string[]): Promise<string[]> {
    const client = await this.queues.redis();
    const last = await Promise.all(streams.map((stream) => client.xrevrange(stream, '+', '-', 'COUNT', 1)));
    return last.map((entries) => entries[0]?.[0] ?? '0-0');
  }

  private dispatch(reply: Array<[string, Array<[string, string[]]>]>, streams: string[], names: readonly string[]) {
    for (const [stream, entries] of reply) {
      const index = streams.indexOf(stream);
      if (index < 0 || entries.length === 0) continue;
      this.cursors![index] = entries[entries.length - 1][0];
      const jobs = this.watchers.get(names[index]);
      if (!jobs) continue;
      for (const [, fields] of entries) {
        const event = fieldOf(fields, 'event');
        if (event !== 'completed' && event !== 'failed') continue;
        const listeners = jobs.get(fieldOf(fields, 'jobId') ?? '');
        if (listeners) for (const listener of [...listeners]) listener(false);
      }
    }
  }

  private notifyAll(closing: boolean): void {
    for (const jobs of this.watchers.values())
      for (const listeners of jobs.values()) for (const listener of [...listeners]) listener(closing);
  }

  onApplicationShutdown(): void {
    this.closed = true;
    this.notifyAll(true);
    this.connection?.disconnect();
    this.connection = undefined;
  }
}

/** A field of a stream entry ([name, value, name, value, ...]). */
function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
