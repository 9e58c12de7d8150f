/** How long a cancellation heard for a job not running here is kept (see RecentCancels). */
export const RECENT_CANCEL_MS = 5000;

/** At most this many are kept: the oldest goes first. */
export const MAX_RECENT_CANCELS = 1000;

/**
 * Cancellations heard for jobs that were not running in this process, kept for a few seconds: the job may be about to
 * start here (fetched, not yet registered as running), or may have just completed here with cancel()'s mark on it.
 * Bounded in time and in number; `size` is 0 nearly always, so a job pays one comparison for the look.
 */
export class RecentCancels {
  /** `queue` NUL `id` -> [reason, when it was heard, when it expires]; insertion order is age order. */
  private readonly heard = new Map<string, [reason: string, heardAt: number, expires: number]>();

  get size(): number {
    return this.heard.size;
  }

  remember(queue: string, id: string, reason: string): void {
    const now = Date.now();
    this.expire(now);
    const key = `${queue}\0${id}`;
    this.heard.delete(key);
    this.heard.set(key, [reason, now, now + RECENT_CANCEL_MS]);
    if (this.heard.size > MAX_RECENT_CANCELS) this.heard.delete(this.heard.keys().next().value!);
  }

  /**
   * The reason a cancellation of this job was heard lately, once; undefined if none was. With `fetchedAt` (when the
   * job's run started, by this process's clock), one heard before that run started is of an earlier run (the job
   * failed as cancelled elsewhere, then was retried or enqueued again under its id): it is dropped, undefined.
   */
  take(queue: string, id: string, fetchedAt?: number): string | undefined {
    if (this.heard.size === 0) return undefined;
    this.expire(Date.now());
    const key = `${queue}\0${id}`;
    const entry = this.heard.get(key);
    this.heard.delete(key);
    return entry && (fetchedAt === undefined || entry[1] >= fetchedAt) ? entry[0] : undefined;
  }

  private expire(now: number): void {
    for (const [key, [, , expires]] of this.heard) {
      if (expires > now) return;
      this.heard.delete(key);
    }
  }
}
