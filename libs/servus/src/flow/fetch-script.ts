import { OPERATIONS } from './flow-scripts';

/** A limited service's numbers as ACQUIRE reads them: limit, leaseMs, max, windowMs, spacingMs, idleMs (0: none). */
export type ServiceLimits = readonly number[];

/**
 * The largest job data (bytes) the fetch step looks through for the job's flow keys (inside the fetch, so a large
 * payload would hold every client of Redis up a little longer); a job with more data asks for its slot at admit,
 * in a call of its own, as a job fetched by BullMQ's other scripts does.
 */
export const FETCH_SCAN_MAX_BYTES = 4096;

/** A Lua string literal of `text`: every byte that is not plainly safe as a decimal escape. */
export function luaString(text: string): string {
  let literal = '"';
  for (const byte of Buffer.from(text, 'utf8'))
    literal += /[A-Za-z0-9 _.:/@-]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `\\${String(byte).padStart(3, '0')}`;
  return `${literal}"`;
}

/**
 * The step that follows BullMQ's fetch. `result` is what BullMQ's script answers: `{job hash as a flat array,
 * job id, ...}` when it handed a job over. For a job of a limited service (by its name, see `limitsOf`) that
 * BullMQ runs (no deferred failure), with small data and printable flow keys of at most 200 characters: ACQUIRE as
 * a probe, for the attempt `queue:id:token:starts` (see attemptOf). Answers {attempt, c, r, head, service}
 * when granted, else 0 (nothing written: the job asks at admit, as without this step).
 *
 * The keys are read from the data's text without decoding it (decoding the whole payload would cost Redis more
 * than the slot): the last `"flow":{` and the `"c"` and `"r"` strings right in it, as the encoder writes them.
 * Admit compares them with the keys the worker decodes, so a payload written otherwise only loses the step (and a
 * slot taken under other keys is given back at once).
 */
const FETCHED = `
local function printable(text)
  return type(text) == 'string' and #text <= 200 and not string.find(text, '[^\\32-\\126]')
end
local function flowKeys(data)
  local at, from = nil, 1
  while true do
    local found = string.find(data, '"flow":{', from, true)
    if not found then break end
    at, from = found, found + 8
  end
  if not at then return '', '' end
  local c, r, pos = '', '', at + 8
  local value, after = string.match(data, '^"c":"([^"\\\\]*)"()', pos)
  if value then
    c, pos = value, after
    if string.sub(data, pos, pos) == ',' then pos = pos + 1 end
  end
  value, after = string.match(data, '^"r":"([^"\\\\]*)"()', pos)
  if value then r, pos = value, after end
  if string.sub(data, pos, pos) ~= '}' then return nil end
  return c, r
end
local function fetched(result, queue, token, optsArg, count)
  if type(result) ~= 'table' or type(result[1]) ~= 'table' or not printable(result[2]) then return 0 end
  local fields = result[1]
  local name, data, started
  for i = 1, #fields - 1, 2 do
    local field = fields[i]
    if field == 'name' then name = fields[i + 1]
    elseif field == 'data' then data = fields[i + 1]
    elseif field == 'ats' then started = tonumber(fields[i + 1])
    elseif field == 'defa' then return 0 end
  end
  -- The attempt is the token and the count of starts (BullMQ's attemptsStarted): one fetch chain keeps its token.
  if not started or started < 1 or started > 1e9 or started % 1 ~= 0 then return 0 end
  if type(data) ~= 'string' or #data > ${FETCH_SCAN_MAX_BYTES} then return 0 end
  local limit, leaseMs, max, windowMs, spacingMs, idleMs, base = limitsOf(name)
  if not limit then return 0 end
  local c, r = flowKeys(data)
  if not printable(c) or not printable(r) then return 0 end
  -- The worker's own lock token (BullMQ's worker id and a counter), as the queue's name is the worker's own: read by
  -- the worker from the packed options (packedToken), else unpacked here.
  if token == '' then token = cmsgpack.unpack(ARGV[optsArg]).token end
  if type(token) ~= 'string' then return 0 end
  local attempt = token .. ':' .. string.format('%d', started)
  local member = queue .. ':' .. result[2]
  local holders, parked = base .. 'c:' .. c, base .. 'q:' .. c
  clock()
  nowUs = baseUs + count
  -- The common case, no slot of the key held and nobody in its line (without a rate limit): what ACQUIRE would do.
  if max == 0 and redis.call('EXISTS', holders, parked) == 0 then
    redis.call('ZADD', holders, now + leaseMs, member .. ':' .. attempt)
    redis.call('PEXPIRE', holders, leaseMs)
    return {attempt, c, r, '', name}
  end
  local answer = acquire({holders, parked, base .. 'r:' .. r, base .. 's:' .. r},
    {member, limit, leaseMs, max, windowMs, spacingMs, idleMs, member .. ':' .. attempt, '1'})
  if answer[1] ~= 0 then return 0 end
  return {attempt, c, r, answer[3] or '', name}
end
`;

/**
 * BullMQ's fetch script (`bullmq`: moveToActive's or moveToFinished's Lua, whose packed options, lock token
 * included, are ARGV[optsArg]) with flow control around it, as one script:
 *
 * 1. BullMQ's script becomes a function, declared first so that none of our names is visible in it.
 * 2. The flow operations waiting in this process (releases, acquires: FlowBatch) run, as BATCH runs them.
 * 3. BullMQ's function runs, as it would alone (its errors are caught: they are its answer, below).
 * 4. The job it handed over, if any, gets its slot (FETCHED): it waits for no call of its own.
 *
 * KEYS are BullMQ's. ARGV: BullMQ's, then ours (from index s): the queue's name, the lock token as the worker read
 * it from the packed options ('' when it could not: see packedToken), then (when operations ride along) their
 * number, the number of their keys, their keys, their codes and arguments; last, s itself. The flow keys are not
 * declared: they share the module prefix's hash tag with the queue's keys (so on a cluster they are
 * in the same slot, as BullMQ's own job keys, which its scripts do not declare either). Answers {operations'
 * answers, grant or 0, BullMQ's answer}; an error that fails every operation, or BullMQ's, is an error reply in
 * its place.
 */
export function fetchScript(
  bullmq: string,
  optsArg: number,
  prefix: string,
  limits: Map<string, ServiceLimits>,
): string {
  // A chain of comparisons, not a table: the script builds no table it does not need on each call.
  // Each service's numbers, and the start of its flow keys' names.
  const cases = [...limits].map(
    ([name, numbers]) =>
      `  if name == ${luaString(name)} then return ${numbers.join(', ')}, ${luaString(`${prefix}:flow:${name}:`)} end`,
  );
  return `local function bullmq()
${bullmq}
end
${OPERATIONS}
local function limitsOf(name)
${cases.join('\n')}
end
${FETCHED}
local last = #ARGV
local s = tonumber(ARGV[last])
local count = 0
local answers = {}
if s + 2 < last then
  count = tonumber(ARGV[s + 2])
  local ok, answered = pcall(runOperations, ARGV, s + 4, ARGV, s + 4 + tonumber(ARGV[s + 3]), count)
  answers = ok and answered or {err = 'Flow control: ' .. (type(answered) == 'table' and answered.err or tostring(answered))}
end
local done, result = pcall(bullmq)
if not done then return {answers, 0, {err = type(result) == 'table' and result.err or tostring(result)}} end
local granted, grant = pcall(fetched, result, ARGV[s], ARGV[s + 1], ${optsArg}, count)
return {answers, granted and grant or 0, result}
`;
}
