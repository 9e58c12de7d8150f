import { AsyncError } from '../response/async-errors';
import { JobRef } from '../execution/call-async-options.interface';
import { Lookup } from '../util/bounded';

/** The answer of a lookup for status() or cancel(), or the AsyncError that says why there is none (the database's error as its cause). */
export function answerOf<T>(looked: Lookup<T>, what: string, job: JobRef, ms: number): T {
  if (looked.state === 'answered') return looked.value;
  const why = looked.state === 'silent' ? `the outbox did not answer within ${ms}ms` : 'the outbox could not be read';
  throw new AsyncError(`Could not ${what} job ${job.jobId}: ${why}`, {
    cause: looked.state === 'failed' ? looked.cause : undefined,
  });
}
