import type { JobJson } from 'bullmq';

/**
 * Fetched jobs BullMQ 6 cannot read. It parses a fetched job's stored `opts`, `progress`, `parent`
 * (and `stacktrace`, `returnvalue`) while fetching it, after its script moved the job to active
 * under the worker's lock and before any hook of ours runs. A field that is not JSON (or opts
 * `null`: written by something other than a BullMQ client) makes the fetch throw: no one holds the
 * job, and it comes back after each lock expiry, forever. recoverUnreadableFetch finds that job by
 * the fetch's lock token, resets the unreadable fields while the lock is still its own (opts
 * `{"attempts":1}`, progress `0`, no parent), and reads it again, so that the worker fails it at
 * once, naming the fields. Fields too long to parse, or that BullMQ's scripts cannot use, are
 * fetched-fields.ts's (checked in the fetch's reply, before BullMQ reads it).
 */

/** How many of the newest active jobs are searched for the fetch's token (a fetched job is pushed at the head). */
const NEWEST_ACTIVE = 1000;

/** The active job locked by ARGV[2]: its id, its stored opts, progress, parent and counters; false if none. */
const FIND_BY_TOKEN = `
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
for _, id in ipairs(ids) do
  local jobKey = ARGV[1] .. id
  if redis.call('GET', jobKey .. ':lock') == ARGV[2] then
    return {id, redis.call('HMGET', jobKey, 'opts', 'progress', 'parent', 'atm', 'ats', 'stc')}
  end
end
return false`;

/**
 * The hash fields of a fetched job that can stop BullMQ (data is MeasuredJob's), and their resets:
 * parsed as JSON while it reads the job, parentKey, which its scripts split into key names, and
 * the counters they HINCRBY (attempts made and started, stalls). The job's own input too long to
 * read, or a field its scripts cannot use, fails the job; its diagnostics (stacktrace, which grows
 * with every failed attempt, and returnvalue) are only reset.
 */
export const FIELD_RESETS: Readonly<Record<string, string>> = {
  opts: '{"attempts":1}',
  progress: '0',
  parent: '',
  parentKey: '',
  atm: '0',
  ats: '0',
  stc: '0',
  stacktrace: '[]',
  returnvalue: 'null',
};
/** The counters, in the order FIND_BY_TOKEN reads them after opts, progress and parent. */
const COUNTERS = ['atm', 'ats', 'stc'] as const;
export const COUNTER_FIELDS: ReadonlySet<string> = new Set(COUNTERS);

/**
 * Whether Redis's HINCRBY takes a stored counter: a signed 64-bit integer written as Redis writes
 * one (it refuses `007`, `00`, `-0`, `+1`; 18 digits stay within the range).
 */
export function isCount(value: string): boolean {
  return /^(?:0|-?[1-9]\d{0,17})$/.test(value);
}

/** Why a counter is refused. */
export const NOT_A_COUNT = 'not a count BullMQ can use (an integer)';
export const DIAGNOSTIC_FIELDS: ReadonlySet<string> = new Set(['stacktrace', 'returnvalue']);

/**
 * Resets fields of job hash KEYS[1] (ARGV[2..]: field, value pairs; an empty value removes the field), only while
 * KEYS[2], its lock, holds ARGV[1] (any holder when ARGV[1] is empty). 1 when done, 0 when not locked so.
 */
const RESET = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`;

/** Resets `fields` of job `jobKey` to FIELD_RESETS' values, only while `token` holds its lock (if given). */
export function resetFields(
  client: UnreadableFetchClient,
  jobKey: string,
  fields: string[],
  token = '',
): Promise<unknown> {
  const pairs = fields.flatMap((field) => [field, FIELD_RESETS[field]]);
  return client.eval(RESET, 2, jobKey, `${jobKey}:lock`, token, ...pairs);
}

/** The Redis access the recovery needs (BullMQ's own client of the worker). */
export interface UnreadableFetchClient {
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
}

/** Where the worker's jobs live, and how one is read back (BullMQ's backend). */
export interface UnreadableFetchQueue {
  client: Promise<UnreadableFetchClient>;
  activeKey: string;
  /** `<prefix>:<queue>:`: a job's hash is this plus its id. */
  jobKeyPrefix: string;
  getJobData(id: string): Promise<JobJson | undefined>;
}

/** A fetched job that could not be read, with its unreadable fields reset; what a fetch returns in its place. */
export interface RecoveredFetch {
  id: string;
  /** The fields that could not be read, as a sentence. */
  reason: string;
  /** As BullMQ's fetch returns it: [job, id, rate limit delay, delay until]. */
  next: [JobJson, string, number, number];
}

/**
 * Whether a fetch's error can be BullMQ failing to read a fetched job's fields (JSON.parse; Object.entries(null)),
 * or its fetching script failing on a counter that is not an integer (HINCRBY, after the job was locked).
 */
export function mayBeUnreadableFetch(error: unknown): boolean {
  return (
    error instanceof SyntaxError ||
    error instanceof TypeError ||
    (error instanceof Error && error.name === 'ReplyError' && error.message.includes('hash value is not an integer'))
  );
}

/**
 * The job fetched under `token` whose stored opts, progress or parent is not JSON, or a counter not
 * an integer, reset so that it can be read and failed; undefined when there is none (the error
 * was something else).
 */
export async function recoverUnreadableFetch(
  queue: UnreadableFetchQueue,
  token: string,
): Promise<RecoveredFetch | undefined> {
  const client = await queue.client;
  const found = (await client.eval(
    FIND_BY_TOKEN,
    1,
    queue.activeKey,
    queue.jobKeyPrefix,
    token,
    String(NEWEST_ACTIVE),
  )) as [string, Array<string | null>] | null;
  if (!found) return undefined;
  const [id, [opts, progress, parent, ...counts]] = found;
  const unreadable = unreadableFields(opts, progress, parent);
  const counters = COUNTERS.filter((_, i) => counts[i] !== null && !isCount(counts[i]));
  if (unreadable.length === 0 && counters.length === 0) return undefined;
  const jobKey = queue.jobKeyPrefix + id;
  if ((await resetFields(client, jobKey, [...unreadable, ...counters], token)) !== 1) return undefined;
  const json = await queue.getJobData(id);
  if (!json) return undefined;
  const reasons = unreadable.length
    ? [`${unreadable.join(' and ')} ${unreadable.length > 1 ? 'are' : 'is'} not JSON that BullMQ can read`]
    : [];
  for (const counter of counters) reasons.push(`${counter} is ${NOT_A_COUNT}`);
  return { id, reason: `the job's stored ${reasons.join('; its ')}`, next: [json, id, 0, 0] };
}

/** The fields BullMQ fails to read, read as it does: opts must be JSON but null (an empty field is its default). */
export function unreadableFields(
  opts: string | null,
  progress: string | null,
  parent: string | null,
): Array<'opts' | 'progress' | 'parent'> {
  const fields: Array<'opts' | 'progress' | 'parent'> = [];
  const parsedOpts = parsed(opts || '{}');
  if (parsedOpts === UNREADABLE || parsedOpts === null) fields.push('opts');
  if (parsed(progress || '0') === UNREADABLE) fields.push('progress');
  if (parent && parsed(parent) === UNREADABLE) fields.push('parent');
  return fields;
}

const UNREADABLE = Symbol('unreadable');

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return UNREADABLE;
  }
}
