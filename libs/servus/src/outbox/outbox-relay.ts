import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BullmqQueues } from '../async/bullmq-queues';
import { QueueNames } from '../async/queue-names';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { OutboxModuleOptions } from './outbox-options.interface';
import { OutboxMonitor, OutboxRelayState } from '../execution/outbox-monitor.port';
import { OutboxRelayOptions } from './outbox-options.interface';
import { OutboxRow, OutboxStats, OutboxStore, ParkedRow } from './outbox-store.interface';
import { OutboxListening } from './outbox-listening';
import type { Queue } from 'bullmq';
import { isRowRefusal, toJob } from './outbox-row-job';
import { escapeLog } from '../util/escape-log';

const DEFAULTS: Required<OutboxRelayOptions> = { batchSize: 500, pollMs: 1000, backoffMs: 100, maxBackoffMs: 5000 };

/**
 * Moves committed outbox rows to BullMQ, oldest first, under the job ids their receipts carry:
 * BullMQ ignores an add whose id exists, so a relay that dies after adding and before deleting
 * never makes a second job (see docs/transactional-enqueue.md for the one case it cannot see).
 * Woken by NOTIFY at commit, polling as a fallback; failures back off exponentially.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy, OutboxMonitor {
  private readonly logger = new Logger('Servus');
  private readonly settings: Required<OutboxRelayOptions>;
  private readonly store?: OutboxStore;
  private readonly state: OutboxRelayState = { status: 'off', moved: 0 };
  private listening?: OutboxListening;
  private loop?: Promise<void>;
  private stopping = false;
  private woken = false;
  private wakeUp?: () => void;
  private lastWarning = 0;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: AsyncModuleOptions & OutboxModuleOptions,
    private readonly queues: BullmqQueues,
    private readonly names: QueueNames,
  ) {
    this.store = options.outbox?.store;
    const relay = options.outbox?.relay;
    this.settings = { ...DEFAULTS, ...(typeof relay === 'object' ? relay : {}) };
  }

  get configured(): boolean {
    return !!this.store;
  }

  /** Whether this process runs a relay: `outbox.relay`, by default on in a worker. */
  get enabled(): boolean {
    const relay = this.options.outbox?.relay;
    return !!this.store && (relay === undefined ? !!this.options.worker : relay !== false);
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.state.status = 'polling';
    this.listening = new OutboxListening(this.store!, this.settings, {
      wake: () => this.wake(),
      warn: (message) => this.warn(message),
    });
    this.loop = this.run();
    this.logger.log(`Outbox relay started (scope ${this.names.prefix})`);
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.loop) return;
    this.stopping = true;
    this.wake();
    await this.loop;
    await this.listening?.close();
    this.state.status = 'stopped';
  }

  stats(): Promise<OutboxStats | undefined> {
    return this.store ? this.store.stats(this.names.prefix) : Promise.resolve(undefined);
  }

  relayState(): OutboxRelayState {
    return { ...this.state };
  }

  /** Moves rows until none is left, then sleeps until a commit (or the poll) wakes it. */
  private async run(): Promise<void> {
    let backoff = this.settings.backoffMs;
    while (!this.stopping) {
      if (!this.stopping) await this.listening!.ensure();
      this.woken = false;
      try {
        this.state.status = 'moving';
        let parked = 0;
        const taken = await this.store!.claim(this.names.prefix, this.settings.batchSize, async (rows) => {
          const refused = await this.move(rows);
          parked = refused.length;
          return refused;
        });
        this.state.moved += taken - parked;
        this.state.lastError = undefined;
        backoff = this.settings.backoffMs;
        if (taken === this.settings.batchSize) continue;
        this.state.status = this.listening!.open ? 'listening' : 'polling';
        await this.sleep(this.settings.pollMs, true);
      } catch (error) {
        this.state.status = 'backing-off';
        this.state.lastError = (error as Error).message;
        this.warn(`Outbox relay: moving failed, next try in ${backoff}ms: ${(error as Error).message}`);
        await this.sleep(backoff, false);
        backoff = Math.min(backoff * 2, this.settings.maxBackoffMs);
      }
    }
  }

  /**
   * One addBulk per queue; BullMQ answers an existing job id with that job, adding nothing. When a
   * batch fails while Redis answers, its rows are tried one by one and those BullMQ refuses are parked.
   */
  private async move(rows: OutboxRow[]): Promise<ParkedRow[]> {
    const byQueue = new Map<string, OutboxRow[]>();
    for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    const parked = await Promise.all(
      [...byQueue].map(async ([name, queued]) => {
        let queue: Queue | undefined;
        try {
          queue = await this.queues.ready(name);
          await queue.addBulk(queued.map((row) => toJob(row)));
          return [];
        } catch (error) {
          // Only BullMQ's own refusal of a row parks it; anything from Redis or the connection is retried.
          if (!queue || !isRowRefusal(error) || !(await this.redisAnswers())) throw error;
          return this.addOneByOne(queue, queued);
        }
      }),
    );
    return parked.flat();
  }

  private async addOneByOne(queue: Queue, rows: OutboxRow[]): Promise<ParkedRow[]> {
    const parked: ParkedRow[] = [];
    for (const row of rows) {
      const job = toJob(row);
      try {
        await queue.add(job.name, job.data, job.opts);
      } catch (error) {
        if (!isRowRefusal(error) || !(await this.redisAnswers())) throw error;
        parked.push(this.refused(row, error));
      }
    }
    return parked;
  }

  private refused(row: OutboxRow, error: unknown): ParkedRow {
    const reason = (error as Error)?.message ?? String(error);
    // The row's text is foreign (a row can be edited in the table): quoted, then every control character escaped.
    this.logger.error(
      escapeLog(
        `Outbox relay: BullMQ refused job ${JSON.stringify(row.jobId)} of queue ${JSON.stringify(row.queue)}, parked (column refused): ${JSON.stringify(reason)}`,
        2000,
      ),
    );
    return { row, reason };
  }

  private redisAnswers(): Promise<boolean> {
    return this.queues.ping().then(
      () => true,
      () => false,
    );
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Waits `ms`; a commit notification ends the wait early when `wakeable` (not while backing off). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = wakeable ? done : () => this.stopping && done();
    });
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(escapeLog(message));
  }
}
