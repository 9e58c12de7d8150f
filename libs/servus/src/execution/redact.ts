import { isPlainObject } from '../util/is-plain-object';

export const REDACTED = '[REDACTED]';

/** Key names whose values never reach a log line. Matched case-insensitively, as substrings. */
export const DEFAULT_REDACT_KEYS = ['password', 'passwd', 'secret', 'token', 'authorization', 'apikey', 'api_key', 'cookie', 'credit_card', 'creditcard'];

/** Builds a redactor once (the key list is fixed per module), returning a deep copy with secrets masked. */
export function createRedactor(keys: readonly (string | RegExp)[]): (value: unknown) => unknown {
  // Own copies: a /g or /y pattern keeps `lastIndex` between test() calls, which would let every other match through.
  const patterns = keys.map((key) => (typeof key === 'string' ? new RegExp(escape(key), 'i') : new RegExp(key)));
  const isSecret = (key: string) =>
    patterns.some((pattern) => {
      pattern.lastIndex = 0;
      return pattern.test(key);
    });
  const walk = (value: unknown, seen: Set<object>): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, seen));
      if (!isPlainObject(value)) return value;
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = isSecret(key) ? REDACTED : walk(item, seen);
      return copy;
    } finally {
      seen.delete(value);
    }
  };
  return (value) => walk(value, new Set());
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
