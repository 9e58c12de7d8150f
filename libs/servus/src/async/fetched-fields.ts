import { isPlainObject } from '../util/is-plain-object';
import {
  COUNTER_FIELDS,
  DIAGNOSTIC_FIELDS,
  FIELD_RESETS,
  isCount,
  NOT_A_COUNT,
  resetFields,
  UnreadableFetchClient,
} from './unreadable-fetch';

/**
 * A fetched job's fields checked in the reply of the script that fetched it, before BullMQ reads
 * them: a field too long to parse safely (20 MB of `[{},...]` takes 640 MB of heap, and the
 * worker died at every fetch), and a parent, parentKey or counter that BullMQ's scripts cannot
 * use (a script stopped midway, leaving the job active without its lock or in no list at all).
 * Each is reset in the reply and in Redis; the job's own input fails the job.
 */

/** The fields refusedFields looks at: those with a reset. */
const CHECKED_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELD_RESETS));

/** The scripts whose reply carries a fetched job: [its hash as a flat array, its id, rate limit delay, delay until]. */
const FETCHING_SCRIPTS = new Set(['moveToActive', 'moveToFinished', 'moveToDelayed']);

/** BullMQ's backend as far as boundFetchedFields needs it. */
export interface FetchingBackend {
  execCommand(client: unknown, commandName: string, args: unknown[]): Promise<unknown>;
}

/**
 * Makes `backend` (a worker's) reset a fetched job's fields (FIELD_RESETS) longer than `maxChars`,
 * and a parent, parentKey or counter BullMQ's scripts cannot use, before BullMQ reads them, in the reply and
 * in Redis. When one is the job's input, `refuse` is told why, so that the worker fails the job at
 * once; a long stack trace is dropped and the job runs. Costs a look at the reply's field lengths
 * per fetch (and a parse of a parent, which few jobs have). A backend without `execCommand`
 * (BullMQ 5) is left as it is.
 */
export function boundFetchedFields(
  backend: FetchingBackend,
  jobKeyPrefix: string,
  maxChars: number,
  refuse: (id: string, reason: string) => void,
): void {
  if (typeof backend.execCommand !== 'function') return;
  const execCommand = backend.execCommand.bind(backend);
  backend.execCommand = (client, commandName, args) => {
    const reply = execCommand(client, commandName, args);
    if (!FETCHING_SCRIPTS.has(commandName)) return reply;
    return reply.then((raw) => {
      const refused = refusedFields(raw, maxChars);
      if (!refused) return raw;
      const [fields, id] = refused;
      const input = fields.filter(([field]) => !DIAGNOSTIC_FIELDS.has(field));
      const sizes = input.filter(([, problem]) => typeof problem === 'number');
      const lengths = sizes.map(([field, chars]) => `${field} is at least ${chars}`).join(' and its ');
      const limit = `over the limit of ${maxChars} bytes (limits.maxPayloadBytes)`;
      const reasons = sizes.length ? [`${lengths} bytes, ${limit}`] : [];
      for (const [field, problem] of input) if (typeof problem === 'string') reasons.push(`${field} is ${problem}`);
      if (reasons.length > 0) refuse(id, `the job's stored ${reasons.join('; its ')}`);
      // The reply is what counts (the job is failed or runs from it); Redis is reset so that no one else reads the
      // fields, and a failed reset (a blip) must not fail the move this reply also reports.
      const reset = resetFields(
        client as UnreadableFetchClient,
        jobKeyPrefix + id,
        fields.map(([field]) => field),
      );
      return reset.then(
        () => raw,
        () => raw,
      );
    });
  };
}

/**
 * The fields of a fetched job's reply that BullMQ must not read, each with its length (over the
 * bound) or why its scripts cannot use it, and the job's id; each is reset in the reply. Undefined
 * when the reply carries no job or every field may be read.
 */
function refusedFields(raw: unknown, maxChars: number): [Array<[string, number | string]>, string] | undefined {
  if (!Array.isArray(raw) || !Array.isArray(raw[0]) || typeof raw[1] !== 'string') return undefined;
  const hash = raw[0] as unknown[];
  let fields: Array<[string, number | string]> | undefined;
  for (let i = 0; i + 1 < hash.length; i += 2) {
    const field = hash[i];
    const value = hash[i + 1];
    if (typeof value !== 'string' || typeof field !== 'string') continue;
    // Decided by the name, in a Set: Object.hasOwn on the reset table with each of the reply's field names cost
    // about 2 ms a job at 100 KB of data (BullMQ's moveToFinished self time, profile of process-servus).
    if (!CHECKED_FIELDS.has(field)) continue;
    const problem = value.length > maxChars ? value.length : unusable(field, value);
    if (problem === undefined) continue;
    (fields ??= []).push([field, problem]);
    hash[i + 1] = FIELD_RESETS[field];
  }
  return fields && [fields, raw[1]];
}

/**
 * Why BullMQ's scripts cannot use a stored parent, parentKey or counter, or undefined. Failing
 * midway on one, a script leaves the job active without its lock, or in no list at all. They run
 * `cjson.decode` on any parent field (an empty one too), index what it gives and join its
 * `queueKey` and `id`; they take a parentKey's id from after its last ':'; they HINCRBY the counters.
 */
function unusable(field: string, value: string): string | undefined {
  if (field === 'parent' && !usableParent(value))
    return 'not one BullMQ can use (an object with a string queueKey and an id)';
  if (field === 'parentKey' && value !== '' && !value.includes(':'))
    return 'not a job key BullMQ can use (no ":" before its id)';
  if (COUNTER_FIELDS.has(field) && !isCount(value)) return NOT_A_COUNT;
  return undefined;
}

/**
 * A parent as BullMQ writes it: an object of plain values (`id`, `queueKey`, flags) that Redis's
 * cjson decodes too (it refuses an escaped lone surrogate, and nesting deeper than 1000, which
 * JSON.parse takes). A text that is not JSON counts as usable here: BullMQ throws reading it, and
 * recoverUnreadableFetch fails the job.
 */
function usableParent(text: string): boolean {
  if (text === '') return false;
  let parent: unknown;
  try {
    parent = JSON.parse(text);
  } catch {
    return true;
  }
  return (
    isPlainObject(parent) &&
    typeof parent.queueKey === 'string' &&
    (typeof parent.id === 'string' || typeof parent.id === 'number') &&
    Object.entries(parent).every(
      ([key, value]) =>
        !LONE_SURROGATE.test(key) &&
        (typeof value === 'string' ? !LONE_SURROGATE.test(value) : value === null || typeof value !== 'object'),
    )
  );
}

/** A UTF-16 surrogate without its pair (with the `u` flag, a pair is one code point, not `Cs`). */
const LONE_SURROGATE = /\p{Cs}/u;
