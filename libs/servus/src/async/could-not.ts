import { AsyncError, JobEnqueueError } from '../response/async-errors';

/** An AsyncError as it is (an undeclared queue); anything else (Redis's error, a stored field that is not JSON) wrapped. */
export function couldNot(what: string, error: unknown): never {
  if (error instanceof AsyncError) throw error;
  throw new AsyncError(`Could not ${what}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}

/**
 * Redis did not take `what` (the job, a batch, a schedule): kind 'unavailable'. This process's own AsyncError (it is
 * shut down) is said as it is, not as Redis's refusal.
 */
export function notTaken(service: string, what: string, error: unknown): JobEnqueueError {
  const why = error instanceof AsyncError ? error.message : `Redis did not take ${what}: ${(error as Error)?.message}`;
  return new JobEnqueueError(service, why, { cause: error, kind: 'unavailable' });
}
