import { randomUUID } from 'node:crypto';
import { CallAsyncOptions } from './call-async-options.interface';
import { ownCopy } from '../util/own-copy';

/**
 * A copy of the call's options under a job id of its own, fixed before the call is sent: `prefix`
 * (one BullMQ accepts: never an integer, no ':') then a UUID. A send of the same id again adds nothing.
 */
export function withNewJobId(
  options: CallAsyncOptions | undefined,
  prefix: string,
): CallAsyncOptions & { jobId: string } {
  return ownCopy(options, { jobId: `${prefix}${randomUUID()}` });
}
