import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis, RedisOptions } from 'ioredis';
import { ServusExecutor, ServusModuleOptions } from 'nestjs-servus';
import { FixturesModule } from '../e2e/fixtures/fixture-services';
import { readLedger } from '../e2e/fixtures/effect-ledger';
import { readCalls } from '../e2e/fixtures/call-recorder';
import { AppProcess, WorkerProcess } from './app-process';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-test-kit';
import { bootServus } from './servus-app';

/**
 * What a fault case owns: a key prefix of its own, fixture worker processes, raw BullMQ
 * queues, in-process api modules, on one Redis (the shared one, or a test's own
 * redis-server). `close()` (afterAll) ends every one of them and deletes the prefix.
 */
export class FaultHarness {
  readonly prefix: string;
  readonly fixtureKey: string;
  readonly redis: Redis;
  readonly workers: AppProcess[] = [];
  private readonly queues: Queue[] = [];
  private readonly apps: INestApplicationContext[] = [];

  constructor(
    name: string,
    readonly redisUrl: string = REDIS_URL,
    /** ioredis options for every connection of the test's own (tls, ...). */
    readonly redisOptions: RedisOptions = {},
  ) {
    this.prefix = uniquePrefix(`faults-${name}`);
    this.fixtureKey = `${this.prefix}:fixture`;
    // Retries forever in the background (a case may restart this Redis); never throws on a command queued meanwhile.
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null, ...redisOptions });
    this.redis.on('error', () => undefined);
  }

  workerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL: this.redisUrl,
      SERVUS_PREFIX: this.prefix,
      SERVUS_QUEUES: 'default',
      FIXTURE_KEY: this.fixtureKey,
      ...extra,
    };
  }

  /** The fixture worker (apps/worker's bootstrap) in its own OS process. */
  async startWorker(extra: Record<string, string> = {}): Promise<AppProcess> {
    const worker = await WorkerProcess.start(this.workerEnv(extra));
    this.workers.push(worker);
    return worker;
  }

  /** A raw BullMQ Queue on the prefix the workers consume. */
  queue(name = 'default', url = this.redisUrl): Queue {
    const queue = new Queue(name, {
      connection: { url, maxRetriesPerRequest: null, ...this.redisOptions } as never,
      prefix: this.prefix,
    });
    queue.on('error', () => undefined);
    this.queues.push(queue);
    return queue;
  }

  /** ServusModule options on this case's Redis and prefix, queue `default`, `extra` on top. */
  servusOptions(extra: ServusModuleOptions = {}): ServusModuleOptions {
    return {
      connection: { url: this.redisUrl, ...this.redisOptions },
      prefix: this.prefix,
      queues: ['default'],
      ...extra,
    };
  }

  /** An in-process "api": ServusModule (enqueue only unless `options.worker`) with the fixture services. */
  async api(options: ServusModuleOptions = {}): Promise<{ app: INestApplicationContext; executor: ServusExecutor }> {
    const app = await bootServus(this.servusOptions(options), [FixturesModule]);
    this.apps.push(app);
    return { app, executor: app.get(ServusExecutor) };
  }

  ledger() {
    return readLedger(this.redis, this.fixtureKey);
  }

  calls() {
    return readCalls(this.redis, this.fixtureKey);
  }

  /** Counts of every state but completed, summed: 0 when nothing is left to do or stuck. */
  async pending(queue: Queue): Promise<Record<string, number>> {
    return queue.getJobCounts('active', 'wait', 'waiting', 'delayed', 'prioritized', 'waiting-children');
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await Promise.allSettled(this.queues.splice(0).map((queue) => queue.close()));
    await Promise.allSettled(this.apps.splice(0).map((app) => app.close()));
    if (this.redis.status === 'ready') await deletePrefix(this.redis, this.prefix);
    this.redis.disconnect();
  }
}
