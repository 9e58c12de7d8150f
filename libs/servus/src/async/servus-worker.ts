import { QueueConsumerState } from '../execution/queue-health.port';
import { AsyncModuleOptions } from './async-options.interface';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServusWorkerOptions } from './async-options.interface';
import { QueueNames } from './queue-names';
import { createRedisClient, RedisClient } from './redis-connection';
import { ServusJobProcessor } from './servus-job.processor';
import { ServusExecutor } from '../execution/servus-executor';
import { ServiceRegistry } from '../service/service-registry';
import { ServusObservers } from '../execution/servus-observers';
import { watchWorker } from './worker-events';
import { ActiveJobAge } from '../execution/queue-health.port';
import { FLOW_CONTROL, FlowControl, hasFlowLimits } from './flow-control.port';
import { LostWakeupWatch } from './lost-wakeups';
import { idleWithoutRedis } from './idle-without-redis';
import { MeasuringWorker } from './measuring-worker';
import { payloadLimits } from './payload-limits';
import { listenForCancellations } from './cancel-listener';
import { applyDeclaredSchedules } from './declared-schedules';

export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * The consuming side, on when the module has `worker`: one BullMQ Worker per queue,
 * created from the resolved options (so forRootAsync works) once services are registered.
 *
 * Call `drain()` before `app.close()` (runServusWorker does): Nest destroys global modules
 * last, so by this module's own onModuleDestroy the domain modules may have closed the
 * connections that running jobs still use.
 *
 * @publicApi
 */
@Injectable()
export class ServusWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Servus');
  private readonly workers: MeasuringWorker[] = [];
  private readonly connections: RedisClient[] = [];
  private draining?: Promise<void>;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: AsyncModuleOptions,
    private readonly names: QueueNames,
    private readonly processor: ServusJobProcessor,
    private readonly registry: ServiceRegistry,
    private readonly executor: ServusExecutor,
    private readonly observers: ServusObservers,
    @Optional() @Inject(FLOW_CONTROL) private readonly flow?: FlowControl,
  ) {}

  /** With flow-limited services: the look for delayed jobs whose wake-up died with a worker. */
  private wakeups?: LostWakeupWatch;

  /** One entry per queue this process consumes; empty when it is not a worker (or before boot). */
  consumers(): QueueConsumerState[] {
    return this.workers.map((worker) => ({
      queue: worker.name,
      running: worker.isRunning() && !worker.isPaused() && !worker.closing,
      connected: (worker.opts.connection as RedisClient).status === 'ready',
    }));
  }

  get settings(): ServusWorkerOptions | undefined {
    const { worker } = this.options;
    return worker ? (worker === true ? {} : worker) : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    const queues = settings.queues?.length ? settings.queues : this.names.all;
    const unknown = queues.filter((queue) => !this.names.exists(queue));
    if (unknown.length)
      throw new Error(
        `ServusModule: worker queues ${unknown.join(', ')} are not among queues (${this.names.all.join(', ')})`,
      );
    const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
    for (const queue of queues) this.workers.push(this.createWorker(queue, concurrency, settings));
    try {
      await this.listenForCancellations();
      await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
      for (const worker of this.workers) await this.flow?.joinFetch?.(worker);
      await applyDeclaredSchedules(this.registry, this.executor, this.logger);
    } catch (error) {
      // A boot that fails must not leave workers taking jobs in a half-started app.
      await Promise.allSettled(this.workers.map((worker) => worker.close(true)));
      await Promise.allSettled(this.connections.map((connection) => connection.quit()));
      this.workers.length = this.connections.length = 0;
      this.shared = undefined;
      throw error;
    }
    this.watchLostWakeups();
    for (const worker of this.workers)
      worker.run().catch((error: Error) => this.logger.error(`Worker ${worker.name} stopped: ${error.message}`));
    this.logger.log(
      `Worker consuming ${queues.join(', ')} (prefix ${this.names.prefix}, concurrency ${concurrency} per queue)`,
    );
  }

  /** On the queues where a service with limits may run (its jobs park as delayed jobs): see LostWakeupWatch. */
  private watchLostWakeups(): void {
    const checkMs = this.flow?.lostWakeupCheckMs();
    if (checkMs === undefined) return;
    const limited = this.registry.definitions().filter(hasFlowLimits);
    const watched = this.workers.filter((worker) =>
      limited.some((definition) => !this.names.notAllowed(definition, worker.name)),
    );
    if (watched.length) (this.wakeups = new LostWakeupWatch(this.shared!, watched, checkMs)).start();
  }

  /** The cancellation subscriber (see listenForCancellations), on its own connection. */
  private async listenForCancellations(): Promise<void> {
    const subscriber = createRedisClient(this.options, 'worker');
    this.connections.push(subscriber);
    await listenForCancellations({
      subscriber,
      reader: this.shared!,
      channel: this.names.cancelChannel,
      processor: this.processor,
      workers: this.workers,
      logger: this.logger,
    });
  }

  /**
   * The non-blocking connection every queue's Worker shares (locks, completions, stalled checks);
   * BullMQ gives each Worker its own blocking duplicate for fetching. Per process: one blocking
   * connection per consumed queue, plus this one and the cancellation subscriber.
   */
  private shared?: RedisClient;

  private createWorker(queue: string, concurrency: number, settings: ServusWorkerOptions): MeasuringWorker {
    if (!this.shared) this.connections.push((this.shared = createRedisClient(this.options, 'worker')));
    const connection = this.shared;
    // Two parameters on purpose (flow control needs the lock token to postpone a job): with three, BullMQ
    // builds an AbortSignal for every job; ours is made on demand.
    // Its jobs know their stored data's size: the processor checks the size limit without serialising the data again.
    const worker = new MeasuringWorker(
      queue,
      (job, token) => this.processor.process(job, token),
      {
        connection,
        prefix: this.names.prefix,
        concurrency,
        lockDuration: settings.lockDurationMs ?? 30_000,
        stalledInterval: settings.stalledIntervalMs ?? 30_000,
        maxStalledCount: settings.maxStalledCount ?? 1,
        autorun: false, // started once the boot has fully succeeded
      },
      payloadLimits(this.options.limits).maxPayloadBytes,
    );
    watchWorker(worker, {
      logger: this.logger,
      registry: this.registry,
      observers: this.observers,
      processor: this.processor,
    });
    return worker;
  }

  oldestActiveJob(): ActiveJobAge | undefined {
    return this.processor.oldestActiveJob();
  }

  /** The jobs running in this process, as `queue:id`. */
  runningJobs(): string[] {
    return this.processor.runningJobs();
  }

  async onModuleDestroy(): Promise<void> {
    await this.drain();
  }

  /** Stops taking jobs and waits for in-flight ones (bodies past their deadline too), up to `shutdownTimeoutMs`. Idempotent. */
  drain(): Promise<void> {
    this.draining ??= this.closeWorkers();
    return this.draining;
  }

  private async closeWorkers(): Promise<void> {
    this.wakeups?.stop();
    if (!this.workers.length) return;
    const timeoutMs = this.settings?.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    this.logger.log(`Worker draining in-flight jobs (up to ${timeoutMs}ms)`);
    let timer: NodeJS.Timeout | undefined;
    // pause(), not close(): it too stops taking jobs and waits for the active ones, but leaves close(true) able to
    // abandon them at the deadline. Once close() has started, BullMQ hands every later close(true) that same
    // pending close, which waits for the jobs however long they run.
    // Then the bodies that outlived their deadline: their flow slots stay renewed (flow control shuts down after
    // this module) until they end, so no other job of their key starts beside them while this process lives.
    const drained = Promise.all(this.workers.map((worker) => worker.pause()))
      .then(() => this.processor.overrunning.settled())
      .then(() => 'drained' as const);
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const idle = idleWithoutRedis(this.connections, () => this.processor.runningJobs().length);
    const outcome = await Promise.race([drained, timedOut, idle.promise]);
    clearTimeout(timer);
    idle.cancel();
    if (outcome === 'timeout') {
      this.logger.warn('Worker shutdown timed out: closing with jobs in flight (they will be recovered as stalled)');
    }
    // Forced unless drained: a close that waits would wait for the fetches a missing Redis never answers.
    await Promise.allSettled(this.workers.map((worker) => worker.close(outcome !== 'drained')));
    this.workers.length = 0;
    // quit() waits for Redis to answer; a connection that is not ready would wait forever.
    await Promise.allSettled(
      this.connections.map((connection) =>
        connection.status === 'ready' ? connection.quit() : Promise.resolve(connection.disconnect()),
      ),
    );
    this.connections.length = 0;
    this.shared = undefined;
  }
}
