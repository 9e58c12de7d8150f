import type { Job, Worker } from 'bullmq';
import { ServiceDefinition } from '../service/service-definition';

/** A job's flow keys as stored in its metadata (`metadata.flow`): `c` the concurrency key, `r` the rate-limit key. */
export interface FlowKeys {
  c?: string;
  r?: string;
}

/** Held while a job runs; `release()` frees its concurrency slot (idempotent, never rejects). */
export interface FlowTicket {
  release(): Promise<void>;
  /** As release(), without a promise to wait on (what a worker does: no promise a job); optional. */
  end?(): void;
}

/**
 * Flow control as the async layer sees it (implemented in flow/): the keys of a call, computed
 * at enqueue, and the gate a job passes before its service runs.
 */
export interface FlowControl {
  /** The keys of a call of a service with limits; undefined for a service without. Throws JobEnqueueError. */
  keysOf(definition: ServiceDefinition, args: unknown): FlowKeys | undefined;
  /**
   * Before the service runs: a ticket (at once when the job's fetch took its slot), or (over a limit) moves the
   * job back to wait without using an attempt and rejects with BullMQ's DelayedError.
   */
  admit(
    definition: ServiceDefinition,
    job: Job,
    token: string | undefined,
    keys: FlowKeys,
  ): FlowTicket | Promise<FlowTicket>;
  /**
   * How often a worker looks for a due delayed job whose wake-up was lost with a killed worker (see
   * LostWakeupWatch): a fraction of the shortest lease; undefined when no registered service has limits.
   */
  lostWakeupCheckMs(): number | undefined;
  /**
   * Before a worker runs: its fetches may take the slots of the jobs they hand over (no call of their own at
   * admit). Optional: without it, or when its BullMQ does not allow it, every limited job asks at admit.
   */
  joinFetch?(worker: Worker): Promise<void>;
  /** A job refused before admit (it will not run): a slot its fetch took for this attempt is given back. */
  unused?(job: Job, token: string | undefined): void;
}

export const FLOW_CONTROL = Symbol('servus:flow-control');

/** Whether a service declares a limit (its jobs pass the gate). */
export function hasFlowLimits(definition: ServiceDefinition): boolean {
  const async = definition.options.async;
  return async?.concurrency !== undefined || async?.rateLimit !== undefined;
}

/** The longest flow key accepted (keys become parts of Redis key names). */
export const MAX_FLOW_KEY_LENGTH = 200;

/** Why `value` is not a usable flow key; undefined when it is one. */
export function flowKeyProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length > MAX_FLOW_KEY_LENGTH) return `is ${value.length} characters long (at most ${MAX_FLOW_KEY_LENGTH})`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a control character';
  return undefined;
}
