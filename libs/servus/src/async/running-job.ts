import { CallContext } from '../service/call-context';

/**
 * The call context of a job running in this worker. Its AbortSignal is made only when the
 * service reads it (an AbortController per job is measurable at worker speeds), and
 * tripped when executor.cancel() reaches this process or the job's lock is lost.
 */
export class RunningJob implements CallContext {
  readonly job: { id: string; queue: string; attempt: number };
  /** When it started here (Date.now()). */
  readonly startedAt = Date.now();
  /** When this run began: the worker's fetch (BullMQ's processedOn, this process's clock), else startedAt. */
  readonly fetchedAt: number;
  /** Why the job was cancelled, once it was. */
  cancelled?: string;
  /** Why its signal aborted (cancelled, lock lost), once it did. */
  private aborted?: string;
  private controller?: AbortController;

  constructor(
    id: string,
    queue: string,
    attempt: number,
    /** The service it runs. */
    readonly service: string,
    /** The job's processedOn, written by this worker as it fetched the job. */
    processedOn?: number,
  ) {
    this.job = { id, queue, attempt };
    this.fetchedAt = processedOn ?? this.startedAt;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted !== undefined && !this.controller.signal.aborted) this.controller.abort(this.aborted);
    return this.controller.signal;
  }

  cancel(reason: string): void {
    this.cancelled ??= reason;
    this.abort(reason);
  }

  /** Aborts the signal without cancelling the job (a lost lock, a deadline). */
  abort(reason: string): void {
    this.aborted ??= reason;
    this.controller?.abort(reason);
  }
}
