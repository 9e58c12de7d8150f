import { isPlainObject } from './is-plain-object';

/** Recursive walks of this code go at most this deep (a frame per level): a payload's maxDepth may not exceed it. */
export const MAX_DEPTH_CEILING = 1000;

/** What measureJson found: how deep the value goes (capped) and about how long its JSON text is. */
export interface JsonMeasure {
  /** Set when some value sits deeper than `maxDepth` levels (the walk stops there). */
  tooDeep: boolean;
  /**
   * Characters of its JSON text, without escapes and counting each character once: a lower
   * bound of its UTF-8 bytes, exact for plain ASCII text. The walk stops once it passes `stopAt`.
   */
  chars: number;
}

/**
 * Measures a value without recursion (a 200,000-deep payload must not overflow the stack):
 * arrays and plain objects are walked, anything else counts as a leaf. An object met twice
 * (shared, or a cycle) is walked once: cycles are named by the JSON check, not here.
 */
export function measureJson(value: unknown, maxDepth: number, stopAt = Infinity): JsonMeasure {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  let chars = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    const depth = depths.pop()!;
    if (typeof item === 'string') chars += item.length + 2;
    else if (typeof item === 'number' || typeof item === 'boolean') chars += String(item).length;
    else if (item === null) chars += 4;
    else if (typeof item === 'object' && (Array.isArray(item) || isPlainObject(item))) {
      if (seen.has(item)) continue;
      seen.add(item);
      if (depth >= maxDepth) return { tooDeep: true, chars };
      chars += 2;
      if (Array.isArray(item)) {
        chars += Math.max(0, item.length - 1); // commas
        for (let i = item.length - 1; i >= 0; i--) {
          stack.push(item[i]);
          depths.push(depth + 1);
        }
      } else {
        const keys = Object.keys(item);
        chars += Math.max(0, keys.length - 1);
        for (const key of keys) {
          chars += key.length + 3; // "key":
          stack.push(item[key]);
          depths.push(depth + 1);
        }
      }
    }
    if (chars > stopAt) break;
  }
  return { tooDeep: false, chars };
}

/**
 * Whether a value fresh from `JSON.parse` holds an object or array deeper than `maxDepth`
 * levels (the value itself is level 0, as in measureJson). Parsed JSON has no cycles, shared
 * objects or instances, so this walk keeps no `seen` set and counts nothing: it visits the
 * objects and arrays only, and never goes past level `maxDepth` (so at most `maxDepth` + 1
 * frames deep, with maxDepth at most MAX_DEPTH_CEILING).
 */
export function parsedJsonDeeperThan(value: unknown, maxDepth: number): boolean {
  return typeof value === 'object' && value !== null && deeperThan(value, maxDepth, prototypeHasEnumerableKeys());
}

/**
 * Whether some code put an enumerable property on Object.prototype. Parsed objects inherit from it
 * alone, so without one `for...in` lists exactly their own keys (a parsed "__proto__" key is one),
 * with no array allocated per object as Object.keys does (half the walk's time at 1 MB).
 */
function prototypeHasEnumerableKeys(): boolean {
  for (const _key in Object.prototype) return true;
  return false;
}

/** `levelsLeft`: how many more levels of objects and arrays `value` may hold, itself included. */
function deeperThan(value: object, levelsLeft: number, ownKeysOnly: boolean): boolean {
  if (levelsLeft <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null && deeperThan(child, levelsLeft - 1, ownKeysOnly)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  if (ownKeysOnly) {
    // for...in would also follow what sits on Object.prototype.
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) if (childDeeperThan(record[keys[i]], levelsLeft, ownKeysOnly)) return true;
    return false;
  }
  for (const key in record) if (childDeeperThan(record[key], levelsLeft, ownKeysOnly)) return true;
  return false;
}

function childDeeperThan(child: unknown, levelsLeft: number, ownKeysOnly: boolean): boolean {
  return typeof child === 'object' && child !== null && deeperThan(child, levelsLeft - 1, ownKeysOnly);
}
