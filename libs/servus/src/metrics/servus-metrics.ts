import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';
import { ASYNC_DISPATCHER, AsyncDispatcher, JOB_STATES } from '../execution/async-dispatcher.interface';
import { CallObservation, JobObservation, ServusObservers } from '../execution/servus-observers';
import { AsyncReceipt } from '../execution/call-async-options.interface';
import { DEFAULT_DURATION_BUCKETS, SERVUS_METRICS_OPTIONS, ServusMetricsOptions } from './servus-metrics-options.interface';

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
  readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly logger = new Logger('Servus');
  private unsubscribe?: () => void;
  private lastDepthWarning = 0;

  constructor(
    @Inject(SERVUS_METRICS_OPTIONS) options: ServusMetricsOptions,
    private readonly observers: ServusObservers,
    @Inject(ASYNC_DISPATCHER) private readonly dispatcher: AsyncDispatcher,
  ) {
    this.registry = options.registry ?? register;
    const prefix = options.prefix ?? 'servus_';
    const registers = [this.registry];
    if (options.defaultMetrics !== false && !this.registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: this.registry });
    this.calls = this.metric(`${prefix}calls_total`, (name) => new Counter({ name, help: 'Service calls by outcome: success, failure (code = its error code) or exception (code = its name)', labelNames: ['service', 'queue', 'outcome', 'code'], registers }));
    this.duration = this.metric(`${prefix}call_duration_seconds`, (name) => new Histogram({ name, help: 'Duration of service calls, validation and events included', labelNames: ['service', 'queue', 'outcome'], buckets: options.buckets ?? DEFAULT_DURATION_BUCKETS, registers }));
    this.enqueued = this.metric(`${prefix}jobs_enqueued_total`, (name) => new Counter({ name, help: 'Jobs enqueued by callAsync / callAsyncMany in this process', labelNames: ['service', 'queue'], registers }));
    this.retried = this.metric(`${prefix}jobs_retried_total`, (name) => new Counter({ name, help: 'Job attempts that failed in this worker and will be retried', labelNames: ['service', 'queue'], registers }));
    this.dead = this.metric(`${prefix}jobs_dead_total`, (name) => new Counter({ name, help: 'Jobs that failed for good in this worker (no attempt left, or not retryable)', labelNames: ['service', 'queue'], registers }));
    const metrics = this;
    this.queueJobs = this.metric(`${prefix}queue_jobs`, (name) =>
      new Gauge({ name, help: 'Jobs in each Servus queue by state, read from Redis at scrape time', labelNames: ['queue', 'state'], registers, collect() { return metrics.collectDepth(this); } }),
    );
  }

  /** The same metric when the registry has it already (a second app in one process, a hot reload). */
  private metric<M>(name: string, create: (name: string) => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create(name);
  }

  onModuleInit(): void {
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
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Redis down at scrape time: the depth series are left out (not stale numbers), and the scrape still answers. */
  private async collectDepth(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    gauge.reset();
    try {
      for (const { queue, counts } of await this.dispatcher.jobCounts()) {
        for (const state of JOB_STATES) gauge.set({ queue, state }, counts[state] ?? 0);
      }
    } catch (error) {
      if (Date.now() - this.lastDepthWarning > 10_000) {
        this.lastDepthWarning = Date.now();
        this.logger.warn(`Metrics: queue depth not read: ${(error as Error).message}`);
      }
    }
  }
}
