import { isPlainObject } from '../util/is-plain-object';

export const REDACTED = '[REDACTED]';
/** What a log line shows in place of values nested deeper than MAX_REDACTED_DEPTH. */
export const TOO_DEEP = '[Too deep]';
const MAX_REDACTED_DEPTH = 64;

/**
 * Key names whose values never reach a log line. A string matches as a substring, ignoring
 * case and the separators '-', '_' and spaces: 'apikey' covers apiKey, api_key and x-api-key.
 */
export const DEFAULT_REDACT_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'apikey',
  'cookie',
  'creditcard',
];

const SEPARATORS = /[-_\s]/g;

/** Builds a redactor once (the key list is fixed per module), returning a deep copy with secrets masked. */
export function createRedactor(keys: readonly (string | RegExp)[]): (value: unknown) => unknown {
  // Own copies: a /g or /y pattern keeps `lastIndex` between test() calls, which would let every other match through.
  const words = keys
    .filter((key): key is string => typeof key === 'string')
    .map((key) => key.replace(SEPARATORS, '').toLowerCase());
  const patterns = keys.filter((key): key is RegExp => key instanceof RegExp).map((key) => new RegExp(key));
  const isSecret = (key: string) => {
    const normalized = key.replace(SEPARATORS, '').toLowerCase();
    return (
      words.some((word) => normalized.includes(word)) ||
      patterns.some((pattern) => {
        pattern.lastIndex = 0;
        return pattern.test(key);
      })
    );
  };
  const walk = (value: unknown, seen: Set<object>): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    // A frame per level (seen holds the ancestors): a log line stops here instead of overflowing the stack.
    if (seen.size >= MAX_REDACTED_DEPTH) return TOO_DEEP;
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, seen));
      // Class instances (a DTO from ValidationPipe) are walked too: their fields are logged all the same.
      if (!isPlainObject(value) && isOpaque(value)) return value;
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = isSecret(key) ? REDACTED : walk(item, seen);
      return copy;
    } finally {
      seen.delete(value);
    }
  };
  return (value) => walk(value, new Set());
}

/** Values JSON.stringify shows without their own keys: kept as they are. */
function isOpaque(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof Map ||
    value instanceof Set ||
    ArrayBuffer.isView(value) ||
    value instanceof RegExp
  );
}
