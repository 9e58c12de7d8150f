/** Deeper than this, a value is refused: job payloads are data, and a walk must not exhaust the stack. */
export const CANONICAL_MAX_DEPTH = 256;

/**
 * One text per JSON value, whatever the key order: object keys sorted (by UTF-16 code unit),
 * no whitespace, numbers and strings as JSON.stringify writes them. The value must already be
 * JSON (what comes out of Redis, or what survived the enqueue check): a value and its JSON
 * round trip give the same text, so a digest of it holds from producer to worker.
 * Throws a RangeError past CANONICAL_MAX_DEPTH levels.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, 0);
  return parts.join('');
}

function write(value: unknown, parts: string[], depth: number): void {
  if (value === null || typeof value !== 'object') {
    // undefined and functions are not JSON; written as null, as JSON.stringify writes them in an array.
    parts.push(JSON.stringify(value) ?? 'null');
    return;
  }
  if (depth >= CANONICAL_MAX_DEPTH) throw new RangeError(`nested deeper than ${CANONICAL_MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    parts.push('[');
    value.forEach((item, i) => {
      if (i > 0) parts.push(',');
      write(item, parts, depth + 1);
    });
    parts.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  parts.push('{');
  keys.forEach((key, i) => {
    if (i > 0) parts.push(',');
    parts.push(JSON.stringify(key), ':');
    write(record[key], parts, depth + 1);
  });
  parts.push('}');
}
