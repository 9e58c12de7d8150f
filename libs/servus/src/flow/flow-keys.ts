import { flowKeyProblem, FlowKeys } from '../async/flow-control.port';
import { JobEnqueueError } from '../response/async-errors';
import { ServiceDefinition } from '../service/service-definition';
import { FlowKeyFunction } from '../service/flow-limits.interface';
import { limitsOf } from './flow-limits';

/** The Redis keys of one job's limits (all under the module prefix, so they share its hash tag). */
export interface FlowKeyNames {
  holders: string;
  parked: string;
  starts: string;
  next: string;
}

/**
 * The keys of one call, computed at enqueue from the caller's own arguments. A key function
 * that throws or returns anything but a bounded string refuses the call (JobEnqueueError).
 * Undefined for a service without limits; `{}` for limits without key functions (one key per service).
 */
export function flowKeysOf(definition: ServiceDefinition, args: unknown): FlowKeys | undefined {
  const limits = limitsOf(definition);
  if (!limits) return undefined;
  const keys: FlowKeys = {};
  if (limits.concurrency?.key) keys.c = runKey(definition.name, 'concurrency', limits.concurrency.key, args);
  if (limits.rate?.key) keys.r = runKey(definition.name, 'rateLimit', limits.rate.key, args);
  return keys;
}

function runKey(service: string, limit: string, key: FlowKeyFunction, args: unknown): string {
  let value: unknown;
  try {
    value = key(args);
  } catch (error) {
    const message = String((error as Error)?.message ?? error).slice(0, 200);
    // Refused as the call's: a key function throws on arguments it cannot key (a missing field).
    throw new JobEnqueueError(service, `its async.${limit}.key function threw: ${JSON.stringify(message)}`, {
      cause: error,
      kind: 'refused',
    });
  }
  const problem = flowKeyProblem(value);
  if (problem)
    throw new JobEnqueueError(service, `the key its async.${limit}.key function returned ${problem}`, {
      kind: 'refused',
    });
  return value as string;
}
