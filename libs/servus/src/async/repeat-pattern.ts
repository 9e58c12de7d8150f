import { defaultRepeatStrategy, RepeatOptions, RepeatStrategy } from 'bullmq';

/** BullMQ's own reading of a repeat, when this BullMQ exports it; without it, patterns are left to BullMQ. */
const bullStrategy: RepeatStrategy | undefined =
  typeof defaultRepeatStrategy === 'function' ? defaultRepeatStrategy : undefined;

/**
 * Why BullMQ's own strategy cannot read a repeat's cron pattern (with its time zone and start date), as the error's
 * message, or undefined when it can (or this BullMQ exports none). An empty pattern is refused here: cron-parser reads
 * '' as every minute, and upsertJobScheduler then throws for a missing pattern.
 */
export function patternProblem(repeat: RepeatOptions): string | undefined {
  const answer = patternProblemBy(repeat, bullStrategy, '');
  // BullMQ's own strategy answers at once; were it ever asynchronous, the pattern is left to BullMQ (never rejects).
  return answer instanceof Promise ? undefined : answer;
}

/** patternProblem, read by `strategy` (a worker's own, which may answer a promise; BullMQ's when undefined). */
export function patternProblemBy(
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
