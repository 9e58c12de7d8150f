import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json';

/**
 * Claims an idempotency key for one digest of arguments, atomically: the first caller's digest
 * is stored for the key's TTL; the script answers the digest already there, or nil once claimed.
 */
export const CLAIM_IDEMPOTENCY_KEY = `
local stored = redis.call('GET', KEYS[1])
if stored then return stored end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** The digest an idempotency key is bound to: the service and its arguments (as they are stored in the job). */
export function argumentsDigest(service: string, args: unknown): string {
  return createHash('sha256')
    .update(canonicalJson([service, args]))
    .digest('base64url');
}
