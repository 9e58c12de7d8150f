import { AsyncError } from '../response/async-errors';
import { JobRef } from '../execution/call-async-options.interface';

/** What one outbox query came to by its deadline: its answer, nothing yet, or an error. */
export type Lookup<T> = { state: 'answered'; value: T } | { state: 'silent' } | { state: 'failed'; cause: unknown };

/**
 * Runs `query` and settles by `ms` at the latest; never rejects. A query still running at `ms`
 * goes on in the background (a database cannot be interrupted mid-query), its outcome observed.
 */
export function bounded<T>(query: () => Promise<T>, ms: number): Promise<Lookup<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ state: 'silent' }), Math.max(0, ms));
    // A query that throws before it returns a promise fails the same way.
    new Promise<T>((run) => run(query())).then(
      (value) => {
        clearTimeout(timer);
        resolve({ state: 'answered', value });
      },
      (cause: unknown) => {
        clearTimeout(timer);
        resolve({ state: 'failed', cause });
      },
    );
  });
}

/** The answer of a lookup for status() or cancel(), or the AsyncError that says why there is none (the database's error as its cause). */
export function answerOf<T>(looked: Lookup<T>, what: string, job: JobRef, ms: number): T {
  if (looked.state === 'answered') return looked.value;
  const why = looked.state === 'silent' ? `the outbox did not answer within ${ms}ms` : 'the outbox could not be read';
  throw new AsyncError(`Could not ${what} job ${job.jobId}: ${why}`, {
    cause: looked.state === 'failed' ? looked.cause : undefined,
  });
}
