/** What a promise came to by its deadline: its answer, nothing yet, or an error. */
export type Lookup<T> = { state: 'answered'; value: T } | { state: 'silent' } | { state: 'failed'; cause: unknown };

/**
 * Runs `query` and settles by `ms` at the latest; never rejects. A query still running at `ms`
 * goes on in the background (a database or a Redis command cannot be interrupted), its outcome observed.
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
