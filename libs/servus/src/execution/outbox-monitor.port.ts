/** How far behind the relay is, for one scope. */
export interface OutboxStats {
  /** Committed rows not yet moved to Redis. */
  depth: number;
  /** Age of the oldest of them in ms; null when there is none. */
  oldestAgeMs: number | null;
  /** Rows BullMQ refused, kept with the reason (column `refused`) for someone to look at. */
  parked: number;
}

/**
 * What the relay is doing: 'off' (not in this process), 'listening' (idle, woken by commits),
 * 'polling' (idle, LISTEN lost: polling only), 'moving', 'backing-off' (a move failed: Redis or
 * the database down; it retries with growing waits and catches up after), 'stopped'.
 */
export type OutboxRelayStatus = 'off' | 'listening' | 'polling' | 'moving' | 'backing-off' | 'stopped';

export interface OutboxRelayState {
  status: OutboxRelayStatus;
  /** Rows this process moved to Redis since it started. */
  moved: number;
  /** Why the last move failed, while backing off. */
  lastError?: string;
}

/** The port through which metrics and health read the outbox (the module provides it when `outbox` is set). */
export interface OutboxMonitor {
  /** Whether the module has the `outbox` option (else there is nothing to report). */
  readonly configured: boolean;
  /** Depth and oldest row age of this deployment's outbox, read from the database; undefined without `outbox`. */
  stats(): Promise<OutboxStats | undefined>;
  relayState(): OutboxRelayState;
}

export const OUTBOX_MONITOR = Symbol('servus:outbox_monitor');
