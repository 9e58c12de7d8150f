import { CallContext } from '../service/call-context';

/**
 * The call context of a job running in this worker. Its AbortSignal is made only when the
 * service reads it (an AbortController per job is measurable at worker speeds), and
 * tripped when executor.cancel() reaches this process.
 */
export class RunningJob implements CallContext {
  readonly job: { id: string; queue: string; attempt: number };
  /** Why the job was cancelled, once it was. */
  cancelled?: string;
  private controller?: AbortController;

  constructor(id: string, queue: string, attempt: number) {
    this.job = { id, queue, attempt };
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.cancelled !== undefined && !this.controller.signal.aborted) this.controller.abort(this.cancelled);
    return this.controller.signal;
  }

  cancel(reason: string): void {
    this.cancelled ??= reason;
    this.controller?.abort(reason);
  }
}
