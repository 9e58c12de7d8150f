/**
 * Redis's clock for every flow script (CLOCK), and the scripts that look at a held lease or a line outside the
 * operations (flow-scripts.ts): renewing a running job's lease, and the head of a line with the time left to the
 * earliest lease.
 */

/**
 * Redis's clock, for the scripts here and the operations (flow-scripts.ts), read once a call and only by a call that
 * needs it (`clock()`: a fetch that hands over no job of a limited service reads no TIME): `now` ms, `nowUs` and
 * `baseUs` us.
 */
export const CLOCK = `
local now, nowUs, baseUs
local function clock()
  if now then return end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
  baseUs = nowUs
end
`;

/**
 * KEYS holders, parked. Answers {the first job in the key's line, ms until the earliest lease of the key runs out
 * (0 when one has, or none is held)}; {} when nobody waits.
 */
export const HEAD = `${CLOCK}
clock()
local head = redis.call('ZRANGE', KEYS[2], 0, 0)
if not head[1] then return {} end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not first[2] then return {head[1], 0} end
return {head[1], math.max(0, math.ceil(tonumber(first[2]) - now))}
`;

/**
 * KEYS holders; ARGV holder (the attempt), leaseMs. Extends a held lease; 0 when it was lost (it ran out
 * meanwhile).
 */
export const RENEW = `${CLOCK}
clock()
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;
