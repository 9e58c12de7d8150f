import { JobsOptions, RepeatStrategy } from 'bullmq';
import { isPlainObject } from '../util/is-plain-object';
import { escapeLog } from '../util/escape-log';
import { patternProblemBy } from './repeat-pattern';

/**
 * Why BullMQ cannot schedule the next iteration of a job from the job's own options, as its worker tries to when it
 * hands the job over (JobScheduler.upsertJobScheduler throws before it writes anything), or undefined when it can
 * (what fails then is Redis or the schedule's keys, not the job). `strategy` reads a pattern as the worker does
 * (BullMQ's by default).
 * Mirrors BullMQ 6.7's checks: a false positive would fail a sound schedule's job, and stop its schedule.
 */
export async function unschedulableRepeat(
  opts: JobsOptions,
  jobName: string,
  strategy?: RepeatStrategy,
): Promise<string | undefined> {
  const repeat: unknown = (opts as { repeat?: unknown }).repeat;
  if (!isPlainObject(repeat)) return 'has no repeat options';
  const { pattern, every } = repeat;
  if (pattern && every) return 'has both a pattern and every';
  if (!pattern && !every) return 'has neither a pattern nor every';
  if (repeat.immediately && repeat.startDate) return 'has both immediately and a startDate';
  if (Object.prototype.hasOwnProperty.call(opts, 'debounce')) return 'has debounce, which BullMQ no longer takes';
  // Carried into the next iteration's options, whose encoding reads `telemetry.metadata`.
  if ((opts as { telemetry?: unknown }).telemetry === null) return 'has a telemetry of null';
  if (!pattern) return undefined;
  const problem = await patternProblemBy(repeat, strategy, jobName);
  return problem === undefined
    ? undefined
    : `has a pattern, time zone or start date BullMQ cannot read (${escapeLog(problem, 200)})`;
}
