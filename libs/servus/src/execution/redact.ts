import { isPlainObject } from '../util/is-plain-object';
import { maskSecretValues } from './redact-values';

export const REDACTED = '[REDACTED]';
/** Deeper than this, a value is shown as a marker: a log line needs no more, and the walk stays bounded. */
export const REDACT_MAX_DEPTH = 32;

/**
 * Key names whose values never reach a log line or the dashboard. A string matches as a
 * substring, ignoring case and the separators '-', '_' and spaces: 'apikey' covers apiKey,
 * api_key and x-api-key. A RegExp is tested on the key as it is: the short ones below match
 * whole words only (`pan`, `cardPan`, `card_pan`, `PAN`; never `company`).
 * The module's `logging.redact` adds to this list.
 */
export const DEFAULT_REDACT_KEYS: readonly (string | RegExp)[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'apikey',
  'accesskey',
  'privatekey',
  'cookie',
  'session',
  'creditcard',
  'cardnumber',
  'securitycode',
  'accountnumber',
  'routingnumber',
  'iban',
  'cvv',
  'cvc',
  word('pan'),
  word('ssn'),
  word('pin'),
  word('otp'),
];

const SEPARATORS = /[-_\s]/g;

/**
 * Builds a redactor once (the key list is fixed per module), returning a deep copy with secrets
 * masked: values under secret keys, and, in every string, what looks like a card number, a
 * bearer token or credentials in a URL. Walks at most REDACT_MAX_DEPTH levels.
 */
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
  const walk = (value: unknown, seen: Set<object>, depth: number): unknown => {
    if (typeof value === 'string') return maskSecretValues(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    if (depth >= REDACT_MAX_DEPTH) return `[nested deeper than ${REDACT_MAX_DEPTH} levels]`;
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, seen, depth + 1));
      // Class instances (a DTO from ValidationPipe) are walked too: their fields are logged all the same.
      if (!isPlainObject(value) && isOpaque(value)) return value;
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        // defineProperty, not assignment: a '__proto__' key stays a plain key of the copy.
        Object.defineProperty(copy, key, {
          value: isSecret(key) ? REDACTED : walk(item, seen, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return copy;
    } finally {
      seen.delete(value);
    }
  };
  return (value) => walk(value, new Set(), 0);
}

/** A whole word of a key: `pan` matches pan, PAN, cardPan, card_pan, card-pan; not company or panel. */
function word(name: string): RegExp {
  const capitalized = name[0].toUpperCase() + name.slice(1);
  return new RegExp(
    `(^|[-_\\s])(${name}|${name.toUpperCase()})($|[-_\\s])|(^|[a-z0-9])${capitalized}($|[-_\\s]|[A-Z0-9])`,
  );
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
