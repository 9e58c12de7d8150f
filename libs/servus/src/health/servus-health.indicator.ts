import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { QUEUE_HEALTH, QueueConsumerState, QueueHealth } from '../execution/queue-health.port';
import { escapeLog } from '../util/escape-log';
import {
  DEFAULT_MAX_ACTIVE_JOB_AGE_MS,
  SERVUS_HEALTH_OPTIONS,
  ServusHealthOptions,
} from './servus-health-options.interface';
import { OUTBOX_MONITOR, OutboxMonitor } from '../execution/outbox-monitor.port';

/**
 * Terminus indicators for Servus: Redis answers (a PING on the producer connection, bounded
 * by `enqueueTimeoutMs`), and this process's workers are consuming every queue they own.
 * Under ServusTestingModule (no Redis, no worker) both are up, saying so.
 *
 * @publicApi
 */
@Injectable()
export class ServusHealthIndicator {
  private readonly logger = new Logger('ServusHealth');

  constructor(
    private readonly health: HealthIndicatorService,
    @Optional() @Inject(SERVUS_HEALTH_OPTIONS) private readonly options: ServusHealthOptions = {},
    @Optional() @Inject(QUEUE_HEALTH) private readonly queues?: QueueHealth,
    @Optional() @Inject(OUTBOX_MONITOR) private readonly outbox?: OutboxMonitor,
  ) {}

  async redis<const Key extends string = 'redis'>(key: Key = 'redis' as Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    if (!this.queues) return indicator.up({ message: 'no Redis: the async adapter is a test one' });
    const started = performance.now();
    try {
      await this.queues.ping();
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 100) / 100 });
    } catch (error) {
      // The probe's answer names the component; the raw error (an address, a timeout) is for the log.
      const raw = (error as Error).message;
      this.logger.warn(escapeLog(`Redis did not answer: ${raw}`));
      return indicator.down({
        message: this.options.details ? `Redis did not answer: ${raw}` : 'Redis did not answer',
      });
    }
  }

  /** Down when a queue's worker is paused, closing, not started, or has lost its Redis connection. */
  consuming<const Key extends string = 'worker'>(key: Key = 'worker' as Key): HealthIndicatorResult<Key> {
    const indicator = this.health.check(key);
    if (!this.queues) return indicator.up({ message: 'no worker: the async adapter is a test one' });
    const consumers = this.queues.consumers();
    const queues = Object.fromEntries(consumers.map((consumer) => [consumer.queue, stateOf(consumer)]));
    if (!consumers.length) return indicator.down({ message: 'no worker is consuming in this process', queues });
    if (consumers.some((consumer) => !consumer.running || !consumer.connected))
      return indicator.down({ message: 'not consuming every queue', queues });
    const oldest = this.queues.oldestActiveJob();
    const maxAgeMs = this.options?.maxActiveJobAgeMs ?? DEFAULT_MAX_ACTIVE_JOB_AGE_MS;
    const oldestActiveJob = oldest && { ...oldest, maxAgeMs: maxAgeMs === false ? undefined : maxAgeMs };
    if (oldest && maxAgeMs !== false && oldest.ageMs > maxAgeMs)
      return indicator.down({
        message: `job ${oldest.jobId} on ${oldest.queue} has run ${oldest.ageMs}ms, longer than ${maxAgeMs}ms`,
        queues,
        oldestActiveJob,
      });
    return indicator.up({ queues, oldestActiveJob });
  }

  /**
   * The outbox relay of this process: down while it backs off (Redis or the database refusing its
   * moves; it catches up by itself) or once stopped; up while it listens, polls or moves.
   */
  relay<const Key extends string = 'outbox'>(key: Key = 'outbox' as Key): HealthIndicatorResult<Key> {
    const indicator = this.health.check(key);
    const state = this.outbox?.relayState() ?? { status: 'off' as const, moved: 0 };
    const details = { relay: state.status, moved: state.moved };
    // As for Redis: the raw error (a database or Redis address, a user name) only with `details`; the relay logs it.
    if (state.status === 'backing-off')
      return indicator.down({
        ...details,
        message: this.options.details ? `moving failed: ${state.lastError ?? 'unknown error'}` : 'moving failed',
      });
    if (state.status === 'stopped') return indicator.down({ ...details, message: 'the relay has stopped' });
    return indicator.up(details);
  }

  /** Whether this process runs an outbox relay: readiness then includes `relay`. */
  get isRelay(): boolean {
    const status = this.outbox?.relayState().status;
    return status !== undefined && status !== 'off';
  }

  /** Whether this process is a worker (the module has `worker`): readiness then includes `consuming`. */
  get isWorker(): boolean {
    return this.queues?.isWorker ?? false;
  }
}

function stateOf(consumer: QueueConsumerState): 'consuming' | 'stopped' | 'disconnected' {
  if (!consumer.running) return 'stopped';
  return consumer.connected ? 'consuming' : 'disconnected';
}
