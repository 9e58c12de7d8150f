import { MAX_DEPTH_CEILING, measureJson, parsedJsonDeeperThan } from '../util/json-measure';

/**
 * Bounds on what a job may carry, checked at enqueue (JobEnqueueError) and again in the worker
 * for jobs written by anyone else (failed at once, without retry).
 *
 * @publicApi
 */
export interface ServusPayloadLimits {
  /** Largest job payload (service, arguments, metadata) as UTF-8 JSON. Default 524288 (512 KiB). */
  maxPayloadBytes?: number;
  /** Deepest nesting of the arguments (an object or array is one level). Default 64, at most 1000. */
  maxDepth?: number;
  /** Most global ids one job may carry (each is a lookup in the worker). Default 100. */
  maxGlobalIds?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;
export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_GLOBAL_IDS = 100;
export { MAX_DEPTH_CEILING };

/**
 * The size of a value's JSON text, measured while checking it: `chars` counts its characters
 * with each number as one and without escapes (a lower bound of its UTF-8 bytes); each
 * character takes at most 6 bytes (`\u001f`) and a number at most 24 characters, so
 * `6 * chars + 18 * numbers` bounds it from above.
 */
export interface JsonSize {
  chars: number;
  numbers: number;
}

/** The limits with their defaults filled in. */
export type PayloadLimits = Required<ServusPayloadLimits>;

export function payloadLimits(limits: ServusPayloadLimits = {}): PayloadLimits {
  return {
    maxPayloadBytes: limits.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxGlobalIds: limits.maxGlobalIds ?? DEFAULT_MAX_GLOBAL_IDS,
  };
}

/** Where `args` breaks the depth limit, as a sentence; undefined when it does not. */
export function depthProblem(args: unknown, limits: PayloadLimits, path = 'args'): string | undefined {
  return measureJson(args, limits.maxDepth).tooDeep ? deeperThanLimit(path, limits.maxDepth) : undefined;
}

/**
 * The size check of a payload from bounds of its JSON size (`size`, measured by measureExactJson
 * while checking it): decided from the bounds alone when they suffice (no serialisation), else
 * from the payload's JSON text, which is then handed back (`json`) so that it is not serialised
 * a second time.
 */
export function checkedPayloadSize(
  payload: unknown,
  size: JsonSize,
  limits: PayloadLimits,
): { problem?: string; json?: string } {
  const { maxPayloadBytes } = limits;
  if (size.chars > maxPayloadBytes) return { problem: overLimit(`at least ${size.chars}`, maxPayloadBytes) };
  if (6 * size.chars + 18 * size.numbers <= maxPayloadBytes) return {};
  const json = JSON.stringify(payload);
  // A UTF-8 byte count only when the text could be over: each UTF-16 unit is at most 3 bytes.
  const bytes = json.length * 3 <= maxPayloadBytes ? json.length : Buffer.byteLength(json);
  return bytes > maxPayloadBytes ? { problem: overLimit(String(bytes), maxPayloadBytes) } : { json };
}

function deeperThanLimit(path: string, maxDepth: number): string {
  return `${path} is nested deeper than ${maxDepth} levels (limits.maxDepth)`;
}

function overLimit(size: string, maxPayloadBytes: number): string {
  return `the job's payload is ${size} bytes of JSON, over the limit of ${maxPayloadBytes} bytes (limits.maxPayloadBytes)`;
}

/**
 * A stored job's data ({ service, args, metadata }) over the depth or size limit, as a sentence;
 * undefined when within both. One walk for both: the args sit one level below the data. For data
 * whose stored text was not measured (see storedTextSize); measuredPayloadProblem otherwise.
 */
export function storedPayloadProblem(data: unknown, limits: PayloadLimits): string | undefined {
  const { tooDeep, chars } = measureJson(data, limits.maxDepth + 1, limits.maxPayloadBytes);
  if (tooDeep) return deeperThanLimit('args', limits.maxDepth);
  // measureJson counts each number's characters: its count is a bound without them.
  return checkedPayloadSize(data, { chars, numbers: 0 }, limits).problem;
}

/**
 * The UTF-8 size of a job's data text as stored in Redis, as far as the size limit needs it. Each
 * UTF-16 unit of the text is 1 to 3 bytes, so its length decides alone when it is over the limit
 * or within a third of it (`exact` false: the length, a lower bound); only in between are its
 * bytes counted.
 */
export interface StoredTextSize {
  bytes: number;
  exact: boolean;
}

export function storedTextSize(text: string, maxPayloadBytes: number): StoredTextSize {
  const { length } = text;
  if (length > maxPayloadBytes || 3 * length <= maxPayloadBytes) return { bytes: length, exact: false };
  return { bytes: Buffer.byteLength(text), exact: true };
}

/**
 * storedPayloadProblem for data parsed from a text whose size is known (`size`): the size from
 * it (nothing serialised again), then the depth by a walk over the parsed objects and arrays
 * alone (the size first: a text over the limit is refused without walking what it holds).
 */
export function measuredPayloadProblem(data: unknown, size: StoredTextSize, limits: PayloadLimits): string | undefined {
  const { maxPayloadBytes, maxDepth } = limits;
  if (size.bytes > maxPayloadBytes)
    return overLimit(size.exact ? String(size.bytes) : `at least ${size.bytes}`, maxPayloadBytes);
  return parsedJsonDeeperThan(data, maxDepth + 1) ? deeperThanLimit('args', maxDepth) : undefined;
}
