/** The key every job's context has (a new UUID when the caller had none): a worker always restores it. */
export const CORRELATION_ID = 'correlationId';

/** At most this many keys in `context.carry`. */
export const MAX_CARRIED_KEYS = 32;

/** Longest key name `context.carry` may list. */
const MAX_KEY_LENGTH = 64;

/** A carried string longer than this is refused: at `callAsync`, and in the worker (the job fails without retry). */
export const MAX_CONTEXT_VALUE_LENGTH = 1024;

/** Names that reach an object's prototype when assigned: never a context key. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `context.carry` is not usable (checked at boot), or undefined. */
export function carryProblem(carry: unknown): string | undefined {
  if (carry === undefined) return undefined;
  if (!Array.isArray(carry)) return `context.carry must be an array of key names, got ${typeof carry}`;
  if (carry.length > MAX_CARRIED_KEYS)
    return `context.carry may list at most ${MAX_CARRIED_KEYS} keys, got ${carry.length}`;
  const seen = new Set<string>();
  for (const key of carry as unknown[]) {
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH)
      return `context.carry[] must be a non-empty string of at most ${MAX_KEY_LENGTH} characters, got ${shown(key)}`;
    if (PROTOTYPE_KEYS.has(key)) return `context.carry may not name ${JSON.stringify(key)} (a prototype key)`;
    if (seen.has(key)) return `context.carry lists ${JSON.stringify(key)} twice`;
    seen.add(key);
  }
  return undefined;
}

/** The keys a worker restores: the correlation id and the carried ones (each once). */
export function restoredKeys(carry: readonly string[] | undefined): readonly string[] {
  return [...new Set([CORRELATION_ID, ...(carry ?? [])])].filter((key) => !PROTOTYPE_KEYS.has(key));
}

/** Why a context value may not travel in a job (completes `<key> ...`), or undefined. */
export function contextValueProblem(value: unknown): string | undefined {
  if (typeof value === 'string')
    return value.length > MAX_CONTEXT_VALUE_LENGTH
      ? `is ${value.length} characters long, over the limit of ${MAX_CONTEXT_VALUE_LENGTH}`
      : undefined;
  // Stryker disable next-line ConditionalExpression: equivalent (Number.isFinite is false for what is not a number)
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
    return undefined;
  return `must be a string, a number, a boolean or null, got ${describeType(value)}`;
}

/** The first carried value a worker would refuse, named as `context.<key> ...`, or undefined. */
export function carriedValueProblem(context: Readonly<Record<string, unknown>>): string | undefined {
  for (const [key, value] of Object.entries(context)) {
    const problem = contextValueProblem(value);
    if (problem) return `context.${key} ${problem}`;
  }
  return undefined;
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, MAX_KEY_LENGTH + 1)) : typeof value;
}
