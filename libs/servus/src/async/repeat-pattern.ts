import { defaultRepeatStrategy, RepeatOptions, RepeatStrategy } from 'bullmq';

/** BullMQ's own reading of a repeat, when this BullMQ exports it; without it, patterns are left to BullMQ. */
const bullStrategy: RepeatStrategy | undefined =
  typeof defaultRepeatStrategy === 'function' ? defaultRepeatStrategy : undefined;

/**
 * Why BullMQ cannot read a repeat's cron pattern (with its time zone and start date), as the error's message, or
 * undefined when it can. Read by `strategy` (a worker's own), else by BullMQ's defaultRepeatStrategy (synchronous: the
 * one-argument form answers at once); skipped when this BullMQ has none. An empty pattern is refused here: BullMQ's
 * strategy reads it as a date, then upsertJobScheduler throws.
 */
export function patternProblem(repeat: RepeatOptions): string | undefined;
export function patternProblem(
  repeat: RepeatOptions,
  strategy: RepeatStrategy | undefined,
  jobName: string,
): string | undefined | Promise<string | undefined>;
export function patternProblem(
  repeat: RepeatOptions,
  strategy: RepeatStrategy | undefined = bullStrategy,
  jobName = '',
): string | undefined | Promise<string | undefined> {
  if (!repeat.pattern) return 'the pattern is empty';
  if (!strategy) return undefined;
  try {
    const next = strategy(Date.now(), repeat, jobName);
    return next instanceof Promise ? next.then(() => undefined, messageOf) : undefined;
  } catch (error) {
    return messageOf(error);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
