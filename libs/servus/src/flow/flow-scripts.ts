/**
 * The Lua scripts of flow control's operations, acquire and release (renewing a lease and looking at a line's head:
 * lease-scripts.ts). Leases and windows are on Redis's clock (TIME, read by every call that takes, frees or renews a
 * slot), so workers with skewed clocks agree on them. The keys of one call share the module prefix's hash tag: on a
 * cluster they live in one slot.
 *
 * Members: a job is `queue:id` (in a line, and for a slot reserved for it); an attempt holding a slot is
 * `queue:id:token:starts` (see attemptOf), so a retry of a job is not the attempt before it, which may still run.
 *
 * Keys of a (service, key): `holders` a ZSET of running attempts and reserved slots scored by lease expiry (ms);
 * `parked` a ZSET of jobs waiting for a slot scored by when they first parked (us), FIFO;
 * `starts` a ZSET of the starts granted in the rate window (`member@us`, scored by the grant, ms); `next` the next
 * free start time of the rate schedule.
 */

import { CLOCK } from './lease-scripts';

/**
 * KEYS holders, parked, starts, next; ARGV member (the job), limit (0: none), leaseMs, max (0: none), windowMs,
 * spacingMs, idleMs (how long a parked job behind the head of its line waits before it looks again),
 * holder (the attempt), probe ('1': grant or answer without writing, see below).
 * Returns {0, 0, head?} granted (the lease taken by the attempt, the start counted; head: the first job now
 * parked), {1, ms} parked until a slot frees (ms: until the earliest lease runs out, when to look again if no
 * release wakes it), {2, ms, woken?} over the rate (woken: the next parked job, given the slot reserved for
 * this one). A probe that is not granted answers {1, 0} or {2, 0} having written nothing (expired leases and
 * starts out of the window aside): the job asks again the usual way, which parks or schedules it.
 *
 * Each key is read before anything is written to it or to another key (the expired leases dropped first do not
 * count: they are gone for every reader), so a key of the wrong type fails the call before it has written
 * anything. Expired leases are dropped only when the live count matters (the set is at the limit).
 */
const ACQUIRE = `
local function acquire(KEYS, ARGV)
local member = ARGV[1]
local limit = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local probe = ARGV[9] == '1'
local waiting = 0
local reserved = false
if limit > 0 then
  waiting = redis.call('ZCARD', KEYS[2])
  reserved = redis.call('ZSCORE', KEYS[1], member)
  if not reserved and redis.call('ZCARD', KEYS[1]) >= limit then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    if redis.call('ZCARD', KEYS[1]) >= limit then
      if probe then return {1, 0} end
      redis.call('ZADD', KEYS[2], 'NX', nowUs, member)
      redis.call('PEXPIRE', KEYS[2], 86400000)
      -- Releases wake the line in order; only its first \`limit\` jobs also watch the leases (a killed holder never
      -- releases), the others look again after a long while (a lost wake-up costs that much at worst).
      if redis.call('ZRANK', KEYS[2], member) >= limit then return {1, tonumber(ARGV[7])} end
      local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return {1, math.max(0, math.ceil(tonumber(first[2]) - now))}
    end
  end
end
if max > 0 then
  local window = tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[3])
  if count >= max then
    if probe then return {2, 0} end
    local nth = redis.call('ZRANGE', KEYS[3], count - max, count - max, 'WITHSCORES')
    local at = tonumber(nth[2]) + window
    local scheduled = tonumber(redis.call('GET', KEYS[4]) or '0')
    if scheduled > at then at = scheduled end
    redis.call('SET', KEYS[4], tostring(at + tonumber(ARGV[6])), 'PX', math.ceil(at - now + window))
    local wait = math.ceil(at - now)
    if limit > 0 then
      if waiting > 0 then redis.call('ZREM', KEYS[2], member) end
      -- A slot reserved for this job (it was woken) goes to the next in line: returned for the caller to wake.
      if reserved then
        redis.call('ZREM', KEYS[1], member)
        local popped = redis.call('ZPOPMIN', KEYS[2], 1)
        if popped[1] then
          redis.call('ZADD', KEYS[1], now + leaseMs, popped[1])
          return {2, wait, popped[1]}
        end
      end
    end
    return {2, wait}
  end
  -- %d: concatenated as it is, a number this size reads 1.79e+15 (14 digits), blurring the microsecond.
  redis.call('ZADD', KEYS[3], now, member .. '@' .. string.format('%d', nowUs))
  redis.call('PEXPIRE', KEYS[3], math.ceil(window))
end
if limit > 0 then
  -- A slot reserved for the job (it was woken) becomes its attempt's lease.
  if reserved then redis.call('ZREM', KEYS[1], member) end
  redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[8])
  redis.call('PEXPIRE', KEYS[1], leaseMs)
  if waiting > 0 then
    redis.call('ZREM', KEYS[2], member)
    -- The line's new head must watch the leases too (it may have parked behind others, with the long timer).
    local head = redis.call('ZRANGE', KEYS[2], 0, 0)
    if head[1] then return {0, 0, head[1]} end
  end
end
return {0, 0}
end
`;

/**
 * KEYS holders, parked; ARGV holder (the attempt), limit, leaseMs. Frees the attempt's slot and pops as many
 * parked jobs as slots are free (expired leases count as free), reserving a slot for each: the
 * caller puts them back in their queue, and a job of the key that reaches a worker first parks
 * behind them (the line stays FIFO). The line is read first, so a key of the wrong type fails the call before
 * it has written anything; with nobody in line there is nothing more to do.
 */
const RELEASE = `
local function release(KEYS, ARGV)
local waiting = redis.call('ZCARD', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if waiting == 0 then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
if free <= 0 then return {} end
local popped = redis.call('ZPOPMIN', KEYS[2], free)
local woken = {}
for i = 1, #popped, 2 do
  woken[#woken + 1] = popped[i]
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), popped[i])
end
if #woken > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
return woken
end
`;

/**
 * The first of `keys` that holds another type than its `kinds` entry (a key written by something else), as an
 * error message; nil when all are fine (or absent). Asked only when an operation failed, to say which key.
 */
const WRONG_TYPE = `
local function wrongType(keys, kinds)
  for i = 1, #keys do
    local kind = redis.call('TYPE', keys[i])['ok']
    if kind ~= 'none' and kind ~= kinds[i] then
      return 'Flow control: key ' .. keys[i] .. ' holds a ' .. kind .. ', not a ' ..
        (kinds[i] == 'zset' and 'sorted set' or kinds[i])
    end
  end
  return nil
end
`;

/**
 * Runs `count` operations, acquires and releases, one after the other on Redis's clock: each one's code (`a` or `r`)
 * and its 8 or 3 arguments from `args` (from index `a`), its 4 or 2 keys from `keys` (from index `k`). Returns each
 * one's answer, in order, or an error reply in its place: an operation that fails (a key of the wrong type) fails
 * alone, having written nothing (each one reads a key before it writes), and the others still run. An unknown code
 * fails its operation and those after it (where their keys and arguments start is unknown). Each operation gets its
 * own microsecond (TIME plus its index), so jobs parked by one batch keep the batch's order in their line.
 */
const RUN = `
local function runOperations(keys, k, args, a, count)
  clock()
  local results = {}
  for i = 1, count do
    nowUs = baseUs + i - 1
    if args[a] == 'a' then
      results[i] = run(acquire, {keys[k], keys[k + 1], keys[k + 2], keys[k + 3]}, 'a',
        {args[a + 1], args[a + 2], args[a + 3], args[a + 4], args[a + 5], args[a + 6], args[a + 7], args[a + 8]})
      k = k + 4
      a = a + 9
    elseif args[a] == 'r' then
      results[i] = run(release, {keys[k], keys[k + 1]}, 'r', {args[a + 1], args[a + 2], args[a + 3]})
      k = k + 2
      a = a + 4
    else
      local unknown = {err = 'Flow control: unknown operation ' .. tostring(args[a])}
      for j = i, count do results[j] = unknown end
      break
    end
  end
  return results
end
`;

/**
 * Flow control's operations as one piece of Lua: Redis's clock (CLOCK), then `acquire`, `release` and
 * `runOperations`, for BATCH and for the fetch script (fetch-script.ts).
 */
export const OPERATIONS = `${CLOCK}
${ACQUIRE}
${RELEASE}
${WRONG_TYPE}
-- code: 'a' (its keys hold zset, zset, zset, string) or 'r' (zset, zset); the kinds are built only on an error.
local function run(step, keys, code, args)
  local ok, answer = pcall(step, keys, args)
  if ok then return answer end
  local kinds = code == 'a' and {'zset', 'zset', 'zset', 'string'} or {'zset', 'zset'}
  return {err = wrongType(keys, kinds) or (type(answer) == 'table' and answer.err or tostring(answer))}
end
${RUN}
`;

/**
 * Acquires and releases of one process, sent together (one round trip, one script, for all those asked for
 * in one turn of its event loop). KEYS: each operation's keys in turn (4 for an acquire, 2 for a release);
 * ARGV: the number of operations, then each one's code and arguments (see runOperations). Returns each one's
 * answer, in order (an error reply for one that failed).
 */
export const BATCH = `${OPERATIONS}
return runOperations(KEYS, 1, ARGV, 2, tonumber(ARGV[1]))
`;
