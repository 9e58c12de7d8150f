import { RecentCancels } from './recent-cancels';
import { RunningJob } from './running-job';

/**
 * The jobs running in this process, by queue then id: a job is registered without building a `queue:id` key (a
 * string made and hashed per job). For cancel() and lost locks (by id), readiness (the oldest) and a crash's log
 * line (all of them).
 */
export class RunningJobs {
  private readonly byQueue = new Map<string, Map<string, RunningJob>>();
  /** Cancellations heard for jobs not running here. */
  private readonly cancels = new RecentCancels();

  add(running: RunningJob): void {
    const { queue, id } = running.job;
    let jobs = this.byQueue.get(queue);
    if (!jobs) this.byQueue.set(queue, (jobs = new Map<string, RunningJob>()));
    jobs.set(id, running);
    // Cancelled while it was starting (fetched, not yet registered): cancelled as it registers. A cancellation heard
    // before its fetch was of an earlier run (ended elsewhere, then retried): this run goes on.
    const reason = this.cancels.take(queue, id, running.fetchedAt);
    if (reason !== undefined) running.cancel(reason);
  }

  delete(running: RunningJob): void {
    this.byQueue.get(running.job.queue)?.delete(running.job.id);
  }

  find(queue: string, id: string): RunningJob | undefined {
    return this.byQueue.get(queue)?.get(id);
  }

  /**
   * Cancels the job if it runs here (true); else keeps the cancellation a few seconds, as the job may be starting here
   * (see RecentCancels). Only for a queue this process consumes (the cancellation listener sees to it).
   */
  cancel(queue: string, id: string, reason: string): boolean {
    const running = this.find(queue, id);
    if (running) running.cancel(reason);
    else this.cancels.remember(queue, id, reason);
    return running !== undefined;
  }

  /** Whether a cancellation of a job not running here was heard lately (once). */
  cancelHeard(queue: string, id: string): boolean {
    return this.cancels.take(queue, id) !== undefined;
  }

  /** The job that started first. */
  oldest(): RunningJob | undefined {
    let oldest: RunningJob | undefined;
    for (const jobs of this.byQueue.values()) {
      // Map order is start order: each queue's first entry is its oldest.
      const first = jobs.values().next().value;
      if (first && (!oldest || first.startedAt < oldest.startedAt)) oldest = first;
    }
    return oldest;
  }

  /** Every job, by queue and id. */
  refs(): { queue: string; id: string }[] {
    const refs: { queue: string; id: string }[] = [];
    for (const [queue, jobs] of this.byQueue) for (const id of jobs.keys()) refs.push({ queue, id });
    return refs;
  }

  /** Every job, as `queue:id`. */
  labels(): string[] {
    return this.refs().map(({ queue, id }) => `${queue}:${id}`);
  }
}
