import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';
import { ASYNC_DISPATCHER, AsyncDispatcher, JOB_STATES } from '../execution/async-dispatcher.interface';
import { CallObservation, JobObservation, PostponedObservation, ServusObservers } from '../execution/servus-observers';
import { AsyncReceipt } from '../execution/call-async-options.interface';
import { OUTBOX_MONITOR, OutboxMonitor } from '../execution/outbox-monitor.port';
import { readOutboxInto, registerOutboxGauges } from './outbox-gauges';
import { escapeLog } from '../util/escape-log';
import {
  DEFAULT_DURATION_BUCKETS,
  SERVUS_METRICS_OPTIONS,
  ServusMetricsOptions,
} from './servus-metrics-options.interface';

/**
 * Prometheus metrics of one process, per service and queue (`queue=""` for `executor.call`):
 * calls by outcome and code, their durations, jobs enqueued / retried / dead, and the depth
 * of every Servus queue by state, read from Redis at each scrape.
 *
 * @publicApi
 */
@Injectable()
export class ServusMetrics implements OnModuleInit, OnModuleDestroy {
  readonly registry: Registry;
  readonly calls: Counter<'service' | 'queue' | 'outcome' | 'code'>;
  readonly duration: Histogram<'service' | 'queue' | 'outcome'>;
  readonly enqueued: Counter<'service' | 'queue'>;
  readonly retried: Counter<'service' | 'queue'>;
  readonly dead: Counter<'service' | 'queue'>;
  readonly postponed: Counter<'service' | 'reason'>;
  readonly locksLost: Counter<'service' | 'queue'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly logger = new Logger('Servus');
  private unsubscribe?: () => void;
  private lastDepthWarning = 0;

  constructor(
    @Inject(SERVUS_METRICS_OPTIONS) options: ServusMetricsOptions,
    private readonly observers: ServusObservers,
    @Inject(ASYNC_DISPATCHER) private readonly dispatcher: AsyncDispatcher,
    @Optional() @Inject(OUTBOX_MONITOR) private readonly outbox?: OutboxMonitor,
  ) {
    const registry = (this.registry = options.registry ?? register);
    const prefix = options.prefix ?? 'servus_';
    const registers = [registry];
    if (options.defaultMetrics !== false && !registry.getSingleMetric('process_cpu_user_seconds_total'))
      collectDefaultMetrics({ register: registry });
    const byCall = ['service', 'queue', 'outcome'] as const;
    const byJob = ['service', 'queue'] as const;
    this.calls = this.metric(
      `${prefix}calls_total`,
      (name) => new Counter({ name, registers, labelNames: [...byCall, 'code'], help: HELP.calls }),
    );
    this.duration = this.metric(
      `${prefix}call_duration_seconds`,
      (name) =>
        new Histogram({
          name,
          registers,
          labelNames: byCall,
          help: HELP.duration,
          buckets: options.buckets ?? DEFAULT_DURATION_BUCKETS,
        }),
    );
    this.enqueued = this.metric(
      `${prefix}jobs_enqueued_total`,
      (name) => new Counter({ name, registers, labelNames: byJob, help: HELP.enqueued }),
    );
    this.retried = this.metric(
      `${prefix}jobs_retried_total`,
      (name) => new Counter({ name, registers, labelNames: byJob, help: HELP.retried }),
    );
    this.dead = this.metric(
      `${prefix}jobs_dead_total`,
      (name) => new Counter({ name, registers, labelNames: byJob, help: HELP.dead }),
    );
    this.postponed = this.metric(
      `${prefix}jobs_postponed_total`,
      (name) => new Counter({ name, registers, labelNames: ['service', 'reason'], help: HELP.postponed }),
    );
    this.locksLost = this.metric(
      `${prefix}job_locks_lost_total`,
      (name) => new Counter({ name, registers, labelNames: byJob, help: HELP.locksLost }),
    );
    // Read at scrape time through the registry's current app: a gauge reused from a closed app (hot reload,
    // a second app in one process) would otherwise ask that app's closed queues.
    this.queueJobs = this.metric(
      `${prefix}queue_jobs`,
      (name) =>
        new Gauge({
          name,
          registers,
          labelNames: ['queue', 'state'],
          help: HELP.queueJobs,
          collect() {
            return collectDepth(registry, this);
          },
        }),
    );
    if (outbox?.configured) registerOutboxGauges(registry, prefix);
  }

  /** The same metric when the registry has it already (a second app in one process, a hot reload). */
  private metric<M>(name: string, create: (name: string) => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create(name);
  }

  private stopReadingOutbox?: () => void;

  onModuleInit(): void {
    depthReaders.set(this.registry, this);
    if (this.outbox) this.stopReadingOutbox = readOutboxInto(this.registry, this.outbox);
    this.unsubscribe = this.observers.add({
      callFinished: (call: CallObservation) => {
        const queue = call.queue ?? '';
        this.calls.inc({ service: call.service, queue, outcome: call.outcome, code: call.code ?? '' });
        this.duration.observe({ service: call.service, queue, outcome: call.outcome }, call.durationMs / 1000);
      },
      enqueued: (receipts: readonly AsyncReceipt[]) => {
        for (const receipt of receipts) this.enqueued.inc({ service: receipt.service, queue: receipt.queue });
      },
      jobRetrying: (job: JobObservation) => this.retried.inc({ service: job.service, queue: job.queue }),
      jobDead: (job: JobObservation) => this.dead.inc({ service: job.service, queue: job.queue }),
      jobPostponed: (job: PostponedObservation) => this.postponed.inc({ service: job.service, reason: job.reason }),
      lockLost: (job: JobObservation) => this.locksLost.inc({ service: job.service, queue: job.queue }),
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.stopReadingOutbox?.();
    if (depthReaders.get(this.registry) === this) depthReaders.delete(this.registry);
  }

  /** Redis down at scrape time: the depth series are left out (not stale numbers), and the scrape still answers. */
  async readDepth(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    try {
      for (const { queue, counts } of await this.dispatcher.jobCounts()) {
        for (const state of JOB_STATES) gauge.set({ queue, state }, counts[state] ?? 0);
      }
    } catch (error) {
      if (Date.now() - this.lastDepthWarning > 10_000) {
        this.lastDepthWarning = Date.now();
        this.logger.warn(escapeLog(`Metrics: queue depth not read: ${(error as Error).message}`));
      }
    }
  }
}

/** The app whose queues a registry's depth gauge reads: the last one initialised and not yet closed. */
const depthReaders = new WeakMap<Registry, ServusMetrics>();

function collectDepth(registry: Registry, gauge: Gauge<'queue' | 'state'>): Promise<void> | void {
  gauge.reset();
  return depthReaders.get(registry)?.readDepth(gauge);
}

const HELP = {
  calls: 'Service calls by outcome: success, failure (code = its error code) or exception (code = its name)',
  duration: 'Duration of service calls, validation and events included',
  enqueued:
    'callAsync / callAsyncMany calls accepted by Redis in this process (a repeat with the same jobId or idempotencyKey counts again)',
  retried: 'Job attempts that failed in this worker and will be retried',
  dead: 'Jobs that failed for good in this worker (no attempt left, not retryable, or stalled more than maxStalledCount)',
  postponed:
    'Jobs of this worker postponed by a flow limit (reason concurrency or rate_limit): put back as delayed, no attempt used',
  locksLost: 'Jobs of this worker whose lock could not be renewed (their signal is aborted; they may run again)',
  queueJobs: 'Jobs in each Servus queue by state, read from Redis at scrape time (the same in every process)',
};
