import { isPlainObject } from '../util/is-plain-object';
import { isMarkedJsonExact } from '../util/json-exact';
import { ContextValues } from '../execution/servus-context';
import { contextValueProblem, CORRELATION_ID } from '../execution/context-limits';
import type { TraceCarrier } from '../tracing/servus-tracing';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { flowKeyProblem, FlowKeys } from './flow-control.port';
import { JsonSize, MAX_DEPTH_CEILING } from './payload-limits';

/** What a Servus job carries in Redis: a registered name and JSON arguments, never code. (BullMQ stores the enqueue time.) */
export interface JobPayload {
  service: string;
  args: unknown;
  /**
   * `gids`: the args hold global ids (and escaped strings) for the worker to decode; `trace`: the producer's W3C
   * trace context; `flow`: the flow-control keys computed at enqueue; with signing keys, `signature`: the HMAC of
   * the job, and what it binds the job to, `jobId` (its id) or `scheduler` (the runs of that job scheduler)
   * (JobSigner).
   */
  metadata: {
    v: 1;
    context?: ContextValues;
    gids?: true;
    trace?: TraceCarrier;
    flow?: FlowKeys;
    jobId?: string;
    scheduler?: string;
    signature?: JobSignature;
  };
}

/** What a signed job carries in `metadata.signature`. */
export interface JobSignature {
  keyId: string;
  hmac: string;
}

export function encodePayload(
  service: string,
  args: unknown,
  context?: ContextValues,
  gids = false,
  trace?: TraceCarrier,
  flow?: FlowKeys,
): JobPayload {
  const metadata: JobPayload['metadata'] = { v: 1 };
  if (context) metadata.context = context;
  if (gids) metadata.gids = true;
  if (trace) metadata.trace = trace;
  if (flow) metadata.flow = flow;
  return { service, args, metadata };
}

/**
 * Checks the shape of a job's data as it came out of Redis (it may be old, foreign or tampered).
 * Of its context, only `contextKeys` are read (the correlation id and the module's carried keys).
 */
export function decodePayload(
  data: unknown,
  contextKeys: readonly string[] = [CORRELATION_ID],
): {
  service: string;
  args: unknown;
  context?: ContextValues;
  gids: boolean;
  trace?: TraceCarrier;
  flow?: FlowKeys;
} {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UndecodablePayloadError(`expected an object { service, args }, got ${describe(data)}`);
  }
  const { service, args } = data as Record<string, unknown>;
  if (typeof service !== 'string' || service === '') {
    throw new UndecodablePayloadError(`"service" must be a registered service name, got ${describe(service)}`);
  }
  if (!Object.prototype.hasOwnProperty.call(data, 'args')) {
    throw new UndecodablePayloadError(`no "args" for ${service}`);
  }
  const metadata = (data as { metadata?: { context?: unknown; gids?: unknown; trace?: unknown; flow?: unknown } })
    .metadata;
  return {
    service,
    args,
    context: contextOf(metadata?.context, contextKeys),
    gids: metadata?.gids === true,
    trace: traceOf(metadata?.trace),
    flow: flowOf(metadata?.flow),
  };
}

/** A job's flow keys (they name Redis keys: a malformed one refuses the job rather than pick a slot). */
function flowOf(value: unknown): FlowKeys | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new UndecodablePayloadError(`"metadata.flow" must be an object`);
  const keys: FlowKeys = {};
  for (const kind of ['c', 'r'] as const) {
    const key = value[kind];
    if (key === undefined) continue;
    const problem = flowKeyProblem(key);
    if (problem) throw new UndecodablePayloadError(`"metadata.flow.${kind}" ${problem}`);
    keys[kind] = key as string;
  }
  return keys;
}

/** A job's trace context, if it is a flat object of strings (anything else is ignored: the job runs untraced). */
function traceOf(value: unknown): TraceCarrier | undefined {
  if (!isPlainObject(value)) return undefined;
  const carrier: TraceCarrier = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') carrier[key] = item;
  return carrier;
}

/**
 * A job's context: of its own keys, only `keys` are read (so 10,000 others cost nothing and a
 * prototype key is never one); each must be a JSON primitive, a string no longer than the limit,
 * else the job is refused. Not an object: no context.
 */
function contextOf(value: unknown, keys: readonly string[]): ContextValues | undefined {
  if (!isPlainObject(value)) return undefined;
  const context: ContextValues = {};
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const item = value[key];
    const problem = contextValueProblem(item);
    if (problem) throw new UndecodablePayloadError(`"metadata.context.${key}" ${problem}`);
    context[key] = item as ContextValues[string];
  }
  return context;
}

/**
 * Where `value` stops surviving JSON exactly, as `args.range.from is a Date: pass an ISO string`;
 * undefined when it round-trips unchanged.
 */
export function findNonJson(value: unknown, path = 'args'): string | undefined {
  // A validation copy already checked in its own walk is not walked again. Otherwise the common
  // case passes the fast check, which builds no path strings; only a failure walks again to name it.
  if (isMarkedJsonExact(value)) return undefined;
  return survivesJson(value, []) ? undefined : walk(value, path, []);
}

/** The same rules as walk(), answering yes or no (exported for its spec: it must agree with findNonJson). @internal */
export function survivesJson(value: unknown, ancestors: object[]): boolean {
  return exact(value, ancestors, MAX_DEPTH_CEILING, { chars: 0, numbers: 0 });
}

/**
 * One walk for what `callAsync` checks of its arguments: their JSON size, or undefined when
 * they do not survive JSON exactly or nest deeper than `maxDepth` levels (the walk stops
 * there: a frame per level). Only then are they walked again, by depthProblem and
 * findNonJson, to say what is wrong.
 */
export function measureExactJson(value: unknown, maxDepth: number): JsonSize | undefined {
  const size = { chars: 0, numbers: 0 };
  return exact(value, [], Math.min(maxDepth, MAX_DEPTH_CEILING), size) ? size : undefined;
}

function exact(value: unknown, ancestors: object[], maxDepth: number, size: JsonSize): boolean {
  switch (typeof value) {
    case 'string':
      size.chars += value.length + 2;
      return true;
    case 'boolean':
      size.chars += 4;
      return true;
    case 'number':
      size.chars += 1;
      size.numbers += 1;
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    size.chars += 4;
    return true;
  }
  if (ancestors.length >= maxDepth || ancestors.includes(value)) return false;
  ancestors.push(value);
  let ok: boolean;
  // Brackets and commas: one more than the items (or keys).
  size.chars += 1;
  if (Array.isArray(value)) {
    ok = Object.keys(value).length === value.length;
    size.chars += value.length;
    for (let i = 0; ok && i < value.length; i++) ok = i in value && exact(value[i], ancestors, maxDepth, size);
  } else {
    ok = isPlainObject(value) && Object.getOwnPropertySymbols(value).length === 0;
    for (const key in value) {
      if (!ok) break;
      if (Object.prototype.hasOwnProperty.call(value, key)) {
        size.chars += key.length + 4; // "key":,
        ok = exact((value as Record<string, unknown>)[key], ancestors, maxDepth, size);
      }
    }
  }
  ancestors.pop();
  return ok;
}

function walk(value: unknown, path: string, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      if (!Number.isFinite(value)) return `${path} is ${value}: JSON has no NaN or Infinity`;
      return Object.is(value, -0) ? `${path} is -0: JSON turns it into 0` : undefined;
    case 'undefined':
      return `${path} is undefined: omit the key or pass null`;
    case 'bigint':
      return `${path} is a BigInt: pass a string or a number`;
    case 'function':
      return `${path} is a function: pass data, not code`;
    case 'symbol':
      return `${path} is a symbol: pass a string`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.includes(object)) return `${path} is a circular reference`;
  // A frame per level: deeper than the ceiling is refused, not walked into a stack overflow.
  if (ancestors.length >= MAX_DEPTH_CEILING) return `${path} is nested deeper than ${MAX_DEPTH_CEILING} levels`;
  if (Array.isArray(object)) {
    // More keys than items: named properties (holes are caught item by item below).
    if (Object.keys(object).length > object.length)
      return `${path} is an array with named properties: JSON keeps only its items`;
    ancestors.push(object);
    for (let i = 0; i < object.length; i++) {
      const problem =
        i in object ? walk(object[i], `${path}[${i}]`, ancestors) : `${path}[${i}] is an empty array slot`;
      if (problem) return problem;
    }
    ancestors.pop();
    return undefined;
  }
  if (!isPlainObject(object)) return `${path} is ${instanceDescription(object)}`;
  if (Object.getOwnPropertySymbols(object).length > 0) return `${path} has symbol keys: JSON drops them`;
  ancestors.push(object);
  for (const key of Object.keys(object)) {
    const problem = walk(object[key], childPath(path, key), ancestors);
    if (problem) return problem;
  }
  ancestors.pop();
  return undefined;
}

function instanceDescription(object: object): string {
  if (object instanceof Date) return 'a Date: pass an ISO string (toISOString())';
  if (object instanceof Map) return 'a Map: pass a plain object or an array of entries';
  if (object instanceof Set) return 'a Set: pass an array';
  const name = object.constructor?.name || 'an object with a custom prototype';
  return `an instance of ${name}: pass a plain object (or declare a DTO that rebuilds it)`;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : typeof value;
}
