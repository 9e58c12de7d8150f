/**
 * The part of a matcher's `this` that Servus's matchers use. Jest's `MatcherContext` and
 * vitest's `MatcherState` both have it, so the matchers (and their .d.ts) depend on neither
 * runner's types: `expect.extend(servusMatchers)` type-checks under both.
 *
 * @publicApi
 */
export interface ServusMatcherContext {
  isNot?: boolean;
  equals(a: unknown, b: unknown): boolean;
  utils: {
    matcherHint(matcherName: string, received?: string, expected?: string): string;
    printReceived(value: unknown): string;
    printExpected(value: unknown): string;
  };
}

/** What a matcher returns, to jest and vitest alike. */
export interface ServusMatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * `actual` is like `expected`: plain objects compare on the expected keys only and arrays
 * element by element, recursively; anything else (asymmetric matchers included) with the
 * runner's own `equals`. Does what `expect.objectContaining` did, without the global `expect`
 * (vitest has none unless `globals: true`).
 */
export function isLike(context: ServusMatcherContext, actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => isLike(context, actual[index], item))
    );
  }
  if (!isPlainObject(expected)) return context.equals(actual, expected);
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(expected).every(
    ([key, value]) => key in actual && isLike(context, (actual as Record<string, unknown>)[key], value),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (typeof (value as { asymmetricMatch?: unknown }).asymmetricMatch === 'function') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
