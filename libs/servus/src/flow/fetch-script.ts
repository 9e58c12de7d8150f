import { OPERATIONS } from './flow-scripts';

/** A limited service's numbers as ACQUIRE reads them: limit, leaseMs, max, windowMs, spacingMs, idleMs (0: none). */
export type ServiceLimits = readonly number[];

/**
 * The largest job data (bytes) the fetch step decodes to find the job's flow keys. Redis decodes it inside the
 * fetch, so a large payload would hold every client of Redis up (decoding runs at a few hundred MB/s); a job with
 * more data asks for its slot in a call of its own, as a job fetched by BullMQ's other scripts does.
 */
export const FETCH_DECODE_MAX_BYTES = 4096;

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
 * job id, ...}` when it handed a job over. For a job of a limited service (by its name) that BullMQ runs (no
 * deferred failure), whose data is small and names that same service, with printable keys of at most 200
 * characters: ACQUIRE as a probe, for the attempt `queue:id:token`. Answers {token, c, r, head, service} when
 * granted, else 0 (nothing written: the job asks at admit, as without this step).
 */
const FETCHED = `
local function printable(text)
  return type(text) == 'string' and #text <= 200 and not string.find(text, '[^\\32-\\126]')
end
local function fetched(result, queue, optsArg)
  if type(result) ~= 'table' or type(result[1]) ~= 'table' or not printable(result[2]) then return 0 end
  if not printable(queue) then return 0 end
  local fields = result[1]
  local name, data
  for i = 1, #fields - 1, 2 do
    local field = fields[i]
    if field == 'name' then name = fields[i + 1]
    elseif field == 'data' then data = fields[i + 1]
    elseif field == 'defa' then return 0 end
  end
  local limits = name and LIMITS[name]
  if not limits or type(data) ~= 'string' or #data > ${FETCH_DECODE_MAX_BYTES} then return 0 end
  local payload = cjson.decode(data)
  if type(payload) ~= 'table' or payload.service ~= name then return 0 end
  local c, r = '', ''
  local flow = type(payload.metadata) == 'table' and payload.metadata.flow or nil
  if flow ~= nil then
    if type(flow) ~= 'table' then return 0 end
    c = flow.c or ''
    r = flow.r or ''
    if not printable(c) or not printable(r) then return 0 end
  end
  local opts = cmsgpack.unpack(ARGV[optsArg])
  local token = type(opts) == 'table' and opts.token
  if not printable(token) then return 0 end
  local member = queue .. ':' .. result[2]
  local base = PREFIX .. ':flow:' .. name .. ':'
  local answer = acquire({base .. 'c:' .. c, base .. 'q:' .. c, base .. 'r:' .. r, base .. 's:' .. r},
    {member, limits[1], limits[2], limits[3], limits[4], limits[5], limits[6], member .. ':' .. token, '1'})
  if answer[1] ~= 0 then return 0 end
  return {token, c, r, answer[3] or '', name}
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
 * KEYS are BullMQ's. ARGV: BullMQ's, then ours (from index s): the queue's name, the number of operations, the
 * number of their keys, their keys, their codes and arguments, and last s itself. The flow keys are not declared:
 * they share the module prefix's hash tag with the queue's keys (so on a cluster they are in the same slot, as
 * BullMQ's own job keys, which its scripts do not declare either). Answers {operations' answers, grant or 0,
 * BullMQ's answer}; an error that fails every operation, or BullMQ's, is an error reply in its place.
 */
export function fetchScript(
  bullmq: string,
  optsArg: number,
  prefix: string,
  limits: Map<string, ServiceLimits>,
): string {
  const table = [...limits].map(([name, numbers]) => `[${luaString(name)}] = {${numbers.join(', ')}}`).join(',\n  ');
  return `local function bullmq()
${bullmq}
end
${OPERATIONS}
local PREFIX = ${luaString(prefix)}
local LIMITS = {
  ${table}
}
${FETCHED}
local s = tonumber(ARGV[#ARGV])
local count = tonumber(ARGV[s + 1])
local ok, answers = pcall(runOperations, ARGV, s + 3, ARGV, s + 3 + tonumber(ARGV[s + 2]), count)
if not ok then answers = {err = 'Flow control: ' .. (type(answers) == 'table' and answers.err or tostring(answers))} end
local done, result = pcall(bullmq)
if not done then return {answers, 0, {err = type(result) == 'table' and result.err or tostring(result)}} end
nowUs = baseUs + count
local granted, grant = pcall(fetched, result, ARGV[s], ${optsArg})
return {answers, granted and grant or 0, result}
`;
}
