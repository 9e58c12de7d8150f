import { parseDuration } from '../util/duration';
import { ServiceDefinition } from '../service/service-definition';
import { FlowKeyFunction } from '../service/flow-limits.interface';

export const DEFAULT_LEASE_MS = 30_000;
/** Leases are renewed every third of their time, looked at every 100 ms: shorter ones would be lost to a busy event loop. */
export const MIN_LEASE_MS = 1000;

/** A rate window's guard: this share of `per`... */
export const RATE_GUARD_SHARE = 0.02;
/** ...and at least this (ms): a loaded worker takes tens of ms from a grant to its service's first line. */
export const MIN_RATE_GUARD_MS = 50;

/** A service's limits, checked and in milliseconds. */
export interface FlowLimits {
  concurrency?: { limit: number; leaseMs: number; key?: FlowKeyFunction };
  /**
   * `windowMs` is `per` plus a guard (RATE_GUARD_SHARE of per, at least MIN_RATE_GUARD_MS): starts are granted
   * on Redis's clock, and the guard absorbs a worker's time between a grant and its service's first line;
   * `spacingMs` spreads postponed starts evenly over the window.
   */
  rate?: { max: number; perMs: number; windowMs: number; spacingMs: number; key?: FlowKeyFunction };
}

const resolved = new WeakMap<ServiceDefinition, FlowLimits | null>();

/** The limits a service declares (undefined: none), checked once; a bad declaration throws naming the service. */
export function limitsOf(definition: ServiceDefinition): FlowLimits | undefined {
  let limits = resolved.get(definition);
  if (limits === undefined) resolved.set(definition, (limits = resolve(definition)));
  return limits ?? undefined;
}

function resolve(definition: ServiceDefinition): FlowLimits | null {
  const { concurrency, rateLimit } = definition.options.async ?? {};
  if (!concurrency && !rateLimit) return null;
  const where = `@Service ${definition.name}: async`;
  const limits: FlowLimits = {};
  if (concurrency) {
    const leaseMs = concurrency.leaseMs ?? DEFAULT_LEASE_MS;
    positiveInteger(concurrency.limit, `${where}.concurrency.limit`);
    positiveInteger(leaseMs, `${where}.concurrency.leaseMs`);
    if (leaseMs < MIN_LEASE_MS)
      throw new Error(`${where}.concurrency.leaseMs must be at least ${MIN_LEASE_MS}, got ${leaseMs}`);
    limits.concurrency = {
      limit: concurrency.limit,
      leaseMs,
      key: keyFunction(concurrency.key, `${where}.concurrency`),
    };
  }
  if (rateLimit) {
    positiveInteger(rateLimit.max, `${where}.rateLimit.max`);
    let perMs: number;
    try {
      perMs = parseDuration(rateLimit.per);
    } catch (error) {
      throw new Error(`${where}.rateLimit.per: ${(error as Error).message}`);
    }
    if (perMs < 1) throw new Error(`${where}.rateLimit.per must be at least 1 ms`);
    const windowMs = perMs + Math.max(MIN_RATE_GUARD_MS, Math.round(perMs * RATE_GUARD_SHARE));
    const key = keyFunction(rateLimit.key, `${where}.rateLimit`);
    limits.rate = { max: rateLimit.max, perMs, windowMs, spacingMs: windowMs / rateLimit.max, key };
  }
  return limits;
}

function positiveInteger(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new Error(`${what} must be a positive integer, got ${String(value)}`);
}

function keyFunction(key: unknown, what: string): FlowKeyFunction | undefined {
  if (key !== undefined && typeof key !== 'function')
    throw new Error(`${what}.key must be a function of the arguments returning a string, got ${typeof key}`);
  return key as FlowKeyFunction | undefined;
}

/** How long a parked job behind the head of its line sleeps before it looks again, if no release wakes it. */
export function parkedIdleMs(leaseMs: number): number {
  return Math.max(10 * leaseMs, 300_000);
}

/** A service's limits as ACQUIRE reads them (after the member): limit, leaseMs, max, windowMs, spacingMs, idleMs. */
export function acquireArgs({ concurrency, rate }: FlowLimits): number[] {
  return [
    concurrency?.limit ?? 0,
    concurrency?.leaseMs ?? 0,
    rate?.max ?? 0,
    rate?.windowMs ?? 0,
    rate?.spacingMs ?? 0,
    concurrency ? parkedIdleMs(concurrency.leaseMs) : 0,
  ];
}
