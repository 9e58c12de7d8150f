/** Whether a worker of one queue is taking jobs: what a readiness probe asks. */
export interface QueueConsumerState {
  queue: string;
  /** Started and not paused or closing. */
  running: boolean;
  /** Its Redis connection is ready (it would not see new jobs otherwise). */
  connected: boolean;
}

/** The job that has run longest in this process. */
export interface ActiveJobAge {
  queue: string;
  jobId: string;
  service: string;
  ageMs: number;
}

/** What a health check asks of the async adapter (absent under ServusTestingModule: no Redis, no worker). */
export interface QueueHealth {
  /** Resolves when the queue store (Redis) answers, within the enqueue timeout; rejects otherwise. */
  ping(): Promise<void>;
  /** One entry per queue this process consumes; empty when it is not a worker (or before boot). */
  consumers(): QueueConsumerState[];
  /** The job that has run longest in this process; undefined when none runs. */
  oldestActiveJob(): ActiveJobAge | undefined;
  /** Whether this process was configured as a worker. */
  readonly isWorker: boolean;
}

/** Injection token of the QueueHealth. */
export const QUEUE_HEALTH = Symbol('QUEUE_HEALTH');
