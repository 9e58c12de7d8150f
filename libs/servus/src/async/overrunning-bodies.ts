import { Logger } from '@nestjs/common';
import { escapeLog } from '../util/escape-log';
import { RunningJob } from './running-job';

/**
 * How long a body may take to stop once its signal has aborted at the deadline before it is said to ignore it:
 * a service that honours the signal settles within microtasks, or after the cleanup its abort handler awaits.
 */
export const OVERRUN_GRACE_MS = 100;

/**
 * Bodies still running after their attempt ended at its deadline. One that has not stopped within
 * OVERRUN_GRACE_MS of the abort ignores its signal: it is warned about once, and counts as running (readiness'
 * oldest job, the crash log's list) until it settles. Shutdown waits for all of them.
 */
export class OverrunningBodies {
  private readonly logger = new Logger('Servus');
  /** Every body past its deadline, with the promise of its end; `shown` once the grace has passed. */
  private readonly bodies = new Map<RunningJob, { settled: Promise<void>; shown: boolean }>();

  /** The attempt of `context` ended at its deadline; `settled` resolves once its body does. */
  add(context: RunningJob, settled: Promise<void>): void {
    const entry = { settled, shown: false };
    this.bodies.set(context, entry);
    const grace = setTimeout(() => {
      if (!this.bodies.has(context)) return;
      entry.shown = true;
      this.logger.warn(
        `${context.service} job ${escapeLog(context.job.id, 200)} on ${context.job.queue}, attempt ${context.job.attempt} ` +
          'goes on past its deadline (it ignores its signal): it counts as running, and keeps any flow slot, until it ends',
      );
    }, OVERRUN_GRACE_MS);
    grace.unref();
    void settled.then(() => {
      clearTimeout(grace);
      this.bodies.delete(context);
    });
  }

  /** The one that started first among `candidate` and the bodies that ignore their signal. */
  oldest(candidate?: RunningJob): RunningJob | undefined {
    let oldest = candidate;
    for (const [running, { shown }] of this.bodies)
      if (shown && (!oldest || running.startedAt < oldest.startedAt)) oldest = running;
    return oldest;
  }

  /** The bodies that ignore their signal, as `queue:id`. */
  labels(): string[] {
    return [...this.bodies]
      .filter(([, { shown }]) => shown)
      .map(([running]) => `${running.job.queue}:${running.job.id}`);
  }

  /** Resolves once every body now past its deadline has ended (graceful shutdown waits for them, up to its limit). */
  async settled(): Promise<void> {
    await Promise.all([...this.bodies.values()].map(({ settled }) => settled));
  }
}
