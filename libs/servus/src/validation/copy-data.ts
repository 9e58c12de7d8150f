import { markJsonExact } from '../util/json-exact';

/** Deeper than this, the copy hands over to structuredClone (which also copes with cycles). */
const MAX_DEPTH = 256;

class TooDeep extends Error {}

/**
 * A deep copy of JSON-like data for ajv to fill defaults into: plain objects and arrays are
 * copied in JavaScript (two to three times faster than structuredClone, which serialises);
 * anything else (a Date, a Map, a class instance) is copied by structuredClone, as before.
 *
 * The same walk checks that the data survives JSON exactly; when it does, the copy is marked
 * (util/json-exact), and callAsync's check does not walk it a second time.
 */
export function copyData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const walk = { exact: true };
  try {
    const copied = copy(value, 0, walk) as T & object;
    if (walk.exact) markJsonExact(copied);
    return copied;
  } catch (error) {
    if (error instanceof TooDeep) return structuredClone(value);
    throw error;
  }
}

function copy(value: unknown, depth: number, walk: { exact: boolean }): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) walk.exact = false;
      return value;
    case 'object':
      break;
    default:
      walk.exact = false;
      return value;
  }
  if (depth > MAX_DEPTH) throw new TooDeep();
  if (Array.isArray(value)) return copyArray(value, depth, walk);
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) {
    walk.exact = false;
    return structuredClone(value);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], depth + 1, walk);
    // A `__proto__` key (JSON.parse makes one) stays a key: assigned, it would set the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}

function copyArray(value: unknown[], depth: number, walk: { exact: boolean }): unknown[] {
  if (Object.getPrototypeOf(value) !== Array.prototype) {
    walk.exact = false;
    return structuredClone(value);
  }
  const out: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    if (i in value) out[i] = copy(value[i], depth + 1, walk);
    else walk.exact = false; // a hole stays a hole, for the check to name it
  }
  // Named properties are not copied (JSON drops them too): such an array is not exact.
  if (walk.exact && Object.keys(value).length !== value.length) walk.exact = false;
  return out;
}
