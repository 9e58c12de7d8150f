import { ClassRef } from '../util/class-ref';
import { Injectable } from '@nestjs/common';
import { EntityLocator } from './entity-locator.interface';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { isPlainObject } from '../util/is-plain-object';
import { EntityNotFoundError } from './entity-not-found.error';
import { GID_PREFIX } from './gid-prefix';
import { MAX_DEPTH_CEILING } from '../util/json-measure';

const ESCAPE = '!';
/** Lookups of one job run this many at a time (a job may not open a connection per id). */
const LOOKUP_CONCURRENCY = 8;

interface Registered {
  name: string;
  locator: EntityLocator;
}

/**
 * The locators of the application, and the two walks: encode (instances of registered
 * classes -> global ids, before the JSON check) and decode (global ids -> loaded instances,
 * in the worker, before validation). With no locator registered, both are skipped.
 */
@Injectable()
export class GlobalIds {
  private readonly byType = new Map<ClassRef, Registered>();
  private readonly byName = new Map<string, { type: ClassRef; locator: EntityLocator }>();

  /** A discovered `@Locator()` provider: checked to implement EntityLocator, then registered. */
  registerProvider(type: ClassRef, instance: unknown): void {
    const locator = instance as Partial<EntityLocator> | undefined;
    if (
      typeof locator?.types !== 'function' ||
      typeof locator.idOf !== 'function' ||
      typeof locator.locate !== 'function'
    ) {
      throw new Error(
        `${type.name} is decorated with @Locator() but does not implement EntityLocator (types, idOf, locate).`,
      );
    }
    this.register(locator as EntityLocator);
  }

  register(locator: EntityLocator): void {
    for (const { name, type } of locator.types()) {
      // An empty name would give 'gid://servus//7', which decode cannot tell from a malformed id.
      if (!name || name.includes('/') || name.startsWith(ESCAPE))
        throw new Error(`Global id type name "${name}" may not be empty, contain '/' or start with '${ESCAPE}'`);
      const existing = this.byName.get(name);
      if (existing && existing.type !== type)
        throw new Error(`Two classes have the global id type "${name}": ${existing.type.name} and ${type.name}`);
      this.byType.set(type, { name, locator });
      this.byName.set(name, { type, locator });
    }
  }

  get enabled(): boolean {
    return this.byType.size > 0;
  }

  /** Args with registered instances replaced by global ids and reserved-tag strings escaped; the same object when nothing changed. */
  encode(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return value.startsWith(GID_PREFIX) ? `${GID_PREFIX}${ESCAPE}${value}` : value;
    if (value === null || typeof value !== 'object') return value;
    const registered = this.registeredFor(value);
    if (registered)
      return `${GID_PREFIX}${registered.name}/${encodeURIComponent(String(registered.locator.idOf(value)))}`;
    checkDepth(depth);
    return mapChildren(value, (child) => this.encode(child, depth + 1));
  }

  /**
   * Args with global ids replaced by the located instances, escaped strings restored: at most
   * `maxIds` distinct ids (each is a lookup; the worker passes limits.maxGlobalIds), located
   * LOOKUP_CONCURRENCY at a time.
   */
  async decode(value: unknown, maxIds = Number.POSITIVE_INFINITY): Promise<unknown> {
    const ids = new Set<string>();
    collectIds(value, ids, 0);
    if (ids.size > maxIds)
      throw new UndecodablePayloadError(
        `the job holds ${ids.size} global ids, more than the limit of ${maxIds} (limits.maxGlobalIds)`,
      );
    const found = new Map<string, object>();
    const queue = [...ids];
    const locateNext = async (): Promise<void> => {
      for (let gid = queue.pop(); gid !== undefined; gid = queue.pop()) found.set(gid, await this.locate(gid));
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, queue.length) }, locateNext));
    return restore(value, found, 0);
  }

  private async locate(gid: string): Promise<object> {
    const rest = gid.slice(GID_PREFIX.length);
    const slash = rest.indexOf('/');
    const typeName = slash > 0 ? rest.slice(0, slash) : rest;
    const id = slash > 0 ? decodeId(gid, rest.slice(slash + 1)) : '';
    const target = slash > 0 ? this.byName.get(typeName) : undefined;
    if (!target)
      throw new UndecodablePayloadError(
        `no locator for the global id ${JSON.stringify(gid.slice(0, 200))} in this worker`,
      );
    const entity = await target.locator.locate(target.type, id);
    if (entity === null || entity === undefined) throw new EntityNotFoundError(typeName, id);
    return entity;
  }

  private registeredFor(value: object): Registered | undefined {
    for (
      let type = value.constructor as ClassRef | null;
      type && type !== Object;
      type = Object.getPrototypeOf(type) as ClassRef | null
    ) {
      const registered = this.byType.get(type);
      if (registered) return registered;
    }
    return undefined;
  }
}

/** The id part of a global id, unescaped; a malformed escape (`%E0`) makes the payload undecodable, not a URIError to retry. */
function decodeId(gid: string, encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    throw new UndecodablePayloadError(
      `the global id ${JSON.stringify(gid.slice(0, 200))} has a malformed id escape (${(error as Error).message})`,
    );
  }
}

/** The walks recurse a frame per level: the payload's depth is checked before them, this is the backstop. */
function checkDepth(depth: number): void {
  if (depth > MAX_DEPTH_CEILING)
    throw new UndecodablePayloadError(`args is nested deeper than ${MAX_DEPTH_CEILING} levels`);
}

function collectIds(value: unknown, ids: Set<string>, depth: number): void {
  if (typeof value === 'string') {
    if (value.startsWith(GID_PREFIX) && !value.startsWith(GID_PREFIX + ESCAPE)) ids.add(value);
  } else if (value !== null && typeof value === 'object') {
    checkDepth(depth);
    for (const child of Object.values(value)) collectIds(child, ids, depth + 1);
  }
}

function restore(value: unknown, found: Map<string, object>, depth: number): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(GID_PREFIX)) return value;
    return value.startsWith(GID_PREFIX + ESCAPE) ? value.slice(GID_PREFIX.length + ESCAPE.length) : found.get(value);
  }
  if (value === null || typeof value !== 'object') return value;
  checkDepth(depth);
  return mapChildren(value, (child) => restore(child, found, depth + 1));
}

/** A copy of an array or plain object with `map` applied to each child, or the same object when no child changed. */
function mapChildren(value: object, map: (child: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((child, i) => {
      const mapped = map(child);
      if (mapped !== child) (copy ??= [...(value as unknown[])])[i] = mapped;
    });
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value; // other instances: left for the JSON check to name
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const child = value[key];
    const mapped = map(child);
    // defineProperty, not assignment: a '__proto__' key stays a plain key.
    if (mapped !== child)
      Object.defineProperty((copy ??= { ...value }), key, {
        value: mapped,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy ?? value;
}
