import { ownCopy } from '../util/own-copy';

/**
 * Where a JSON Schema's `default`s sit, as ajv's `useDefaults` fills them: under `properties`
 * (and `items`, `prefixItems`) from the root down. With it, validation knows whether a value
 * lacks a default before copying it, and copies only the objects on the way to the defaults;
 * the rest of the value is shared, as ajv writes nowhere else.
 */
export interface DefaultsPlan {
  /** Per property: whether it has a default, and the defaults below it. */
  properties?: Map<string, { default: boolean; below?: DefaultsPlan }>;
  /** The defaults of every item (`items` as one schema). */
  items?: DefaultsPlan;
  /** Per position (`items` as a tuple, `prefixItems`): whether it has a default, and the defaults below it. */
  tuple?: Array<{ default: boolean; below?: DefaultsPlan }>;
}

/**
 * The plan of a schema's defaults, or undefined when some `default` sits where the plan does not
 * follow (`allOf`, `$ref`, `then`...): such a schema is validated on a whole copy, as before.
 */
export function defaultsPlan(schema: Record<string, unknown>): DefaultsPlan | undefined {
  const found = { count: 0 };
  const plan = planOf(schema, found);
  return found.count === countDefaults(schema) ? plan : undefined;
}

function planOf(schema: Record<string, unknown>, found: { count: number }): DefaultsPlan | undefined {
  const plan: DefaultsPlan = {};
  if (isObject(schema.properties)) {
    const properties = new Map<string, { default: boolean; below?: DefaultsPlan }>();
    for (const [name, sub] of Object.entries(schema.properties)) {
      const entry = slot(sub, found);
      if (entry) properties.set(name, entry);
    }
    if (properties.size) plan.properties = properties;
  }
  const tuple = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : Array.isArray(schema.items)
      ? schema.items
      : undefined;
  if (tuple) {
    const slots = (tuple as unknown[]).map((sub) => slot(sub, found) ?? { default: false });
    if (slots.some((entry) => entry.default || entry.below)) plan.tuple = slots;
  }
  if (isObject(schema.items)) plan.items = planOf(schema.items, found);
  return plan.properties || plan.tuple || plan.items ? plan : undefined;
}

function slot(sub: unknown, found: { count: number }): { default: boolean; below?: DefaultsPlan } | undefined {
  if (!isObject(sub)) return undefined;
  const own = 'default' in sub;
  if (own) found.count += 1;
  const below = planOf(sub, found);
  return own || below ? { default: own, below } : undefined;
}

/** Every `default` key anywhere in the schema (a property named "default" too: then the plan is not trusted). */
function countDefaults(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countDefaults(item), 0);
  if (!isObject(value)) return 0;
  let count = 0;
  for (const [key, item] of Object.entries(value)) count += (key === 'default' ? 1 : 0) + countDefaults(item);
  return count;
}

/** Whether ajv would fill some default into `value` (a property or tuple item that is undefined). */
export function lacksDefault(value: unknown, plan: DefaultsPlan): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    if (plan.tuple)
      for (let i = 0; i < plan.tuple.length; i++) {
        const entry = plan.tuple[i];
        if (entry.default && value[i] === undefined) return true;
        if (entry.below && lacksDefault(value[i], entry.below)) return true;
      }
    if (plan.items) for (const item of value) if (lacksDefault(item, plan.items)) return true;
    return false;
  }
  if (!plan.properties) return false;
  for (const [name, entry] of plan.properties) {
    const item = (value as Record<string, unknown>)[name];
    if (entry.default && item === undefined) return true;
    if (entry.below && lacksDefault(item, entry.below)) return true;
  }
  return false;
}

/**
 * A copy of `value` for ajv to fill: the objects and arrays on the way to the plan's defaults are
 * copied (own keys, a `__proto__` key stays a key), everything else is shared with the caller.
 */
export function copyAlong(value: unknown, plan: DefaultsPlan): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = value.slice();
    if (plan.tuple)
      plan.tuple.forEach((entry, i) => {
        if (entry.below && i < copy.length) copy[i] = copyAlong(copy[i], entry.below);
      });
    if (plan.items) for (let i = 0; i < copy.length; i++) copy[i] = copyAlong(copy[i], plan.items);
    return copy;
  }
  // ajv adds the missing defaults to this copy (cheap on an ownCopy, not on a spread); a `__proto__` key stays a key.
  const copy = ownCopy<Record<string, unknown>>(value);
  if (plan.properties)
    for (const [name, entry] of plan.properties)
      if (entry.below && Object.prototype.hasOwnProperty.call(copy, name))
        Object.defineProperty(copy, name, {
          value: copyAlong(copy[name], entry.below),
          enumerable: true,
          writable: true,
          configurable: true,
        });
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
