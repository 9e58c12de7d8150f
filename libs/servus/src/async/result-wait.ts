import { AsyncError } from '../response/async-errors';
import { ServiceResponse } from '../response/service-response';
import { responseOfFailedJob } from './failed-job-response';
import { FinishEvents } from './finish-events';
import { JobOutcome } from './job-outcome';

/** Longest pause between two state reads of a waiting job: the net under a missed event (a trimmed stream, a restarted Redis). */
const POLL_MS = 5000;
/** First pause after a failed read; doubled up to POLL_MS. */
const RETRY_MS = 100;

/** What one result() wait needs. */
export interface ResultWaitRequest {
  queue: string;
  jobId: string;
  /** The service, when the caller's receipt names it (else read from the job). */
  service?: string;
  timeoutMs: number;
  events: FinishEvents;
  /** The job's state and finish fields (never its arguments). */
  read: () => Promise<JobOutcome>;
}

/**
 * Waits for a job to finish: a finish event or a state read, whichever sees it first. Every
 * Redis error is caught and the read retried until the deadline; at `timeoutMs` it rejects
 * with AsyncError (the last Redis error as its cause). Nothing here can reject unobserved.
 */
export function waitForResult(request: ResultWaitRequest): Promise<ServiceResponse> {
  return new Promise((resolve, reject) => new ResultWait(request, resolve, reject).start());
}

class ResultWait {
  private done = false;
  private reading = false;
  private again = false;
  private retryMs = RETRY_MS;
  private service?: string;
  private lastError?: unknown;
  private deadline?: NodeJS.Timeout;
  private next?: NodeJS.Timeout;
  private unwatch?: () => void;

  constructor(
    private readonly request: ResultWaitRequest,
    private readonly resolve: (response: ServiceResponse) => void,
    private readonly reject: (error: AsyncError) => void,
  ) {
    this.service = request.service;
  }

  start(): void {
    const { queue, jobId, timeoutMs } = this.request;
    this.deadline = setTimeout(() => this.timedOut(), timeoutMs);
    // The watcher calls check() once the event stream is positioned, then on the job's finish event.
    this.unwatch = this.request.events.watch(queue, jobId, (closing) =>
      closing ? this.fail(`Could not wait for ${this.describe()}: the application is shutting down`) : this.check(),
    );
  }

  /** Reads the job; one read at a time (a check asked for meanwhile runs after it). */
  private check(): void {
    if (this.done) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    clearTimeout(this.next);
    this.request.read().then(
      (outcome) => this.afterRead(() => this.settle(outcome)),
      (error: unknown) =>
        this.afterRead(() => {
          this.lastError = error;
          this.schedule(this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, POLL_MS);
        }),
    );
  }

  private afterRead(handle: () => void): void {
    this.reading = false;
    try {
      handle();
    } catch (error) {
      this.fail(`Could not read the result of ${this.describe()}: ${(error as Error).message}`);
    }
    if (this.again) {
      this.again = false;
      this.check();
    }
  }

  private settle(outcome: JobOutcome): void {
    this.lastError = undefined;
    this.retryMs = RETRY_MS;
    if (outcome.state === 'unknown') {
      const { jobId, queue } = this.request;
      return this.fail(`No job ${jobId} on queue ${queue}: never enqueued, or removed after its retention`);
    }
    this.service ??= outcome.name;
    if (outcome.state === 'completed') {
      if (outcome.returnvalue === undefined) return this.schedule(RETRY_MS); // the hash is written just after the state
      // Built before finish(): a value that does not parse fails the wait (in afterRead), it cannot leave it hanging.
      const response = ServiceResponse.fromJSON(JSON.parse(outcome.returnvalue));
      return this.finish(() => this.resolve(response));
    }
    if (outcome.state === 'failed') {
      const response = responseOfFailedJob(outcome.failedReason ?? '', outcome.attemptsMade, outcome.correlationId);
      return this.finish(() => this.resolve(response));
    }
    this.schedule(POLL_MS);
  }

  private schedule(ms: number): void {
    if (this.done) return;
    clearTimeout(this.next);
    this.next = setTimeout(() => this.check(), ms);
  }

  private timedOut(): void {
    const { timeoutMs } = this.request;
    this.fail(`${this.describe(true)} did not finish within ${timeoutMs}ms`, this.lastError);
  }

  private describe(capital = false): string {
    const job = `${capital ? 'Job' : 'job'} ${this.request.jobId}`;
    return this.service ? `${job} (${this.service})` : job;
  }

  private fail(message: string, cause?: unknown): void {
    this.finish(() => this.reject(new AsyncError(message, cause === undefined ? undefined : { cause })));
  }

  private finish(settle: () => void): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.deadline);
    clearTimeout(this.next);
    this.unwatch?.();
    settle();
  }
}
