import { AsyncError } from '../response/async-errors';

/** An AsyncError as it is (an undeclared queue); anything else (Redis's error, a stored field that is not JSON) wrapped. */
export function couldNot(what: string, error: unknown): never {
  if (error instanceof AsyncError) throw error;
  throw new AsyncError(`Could not ${what}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}
