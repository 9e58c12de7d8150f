/**
 * The adapter's queue objects, for a board that shows them (bull-board's BullMQ adapter takes
 * BullMQ's Queue). Opaque here: only the dashboard, which brings the matching board adapter, looks inside.
 */
export interface QueueHandles {
  /** The declared queue names. */
  names(): readonly string[];
  /** The adapter's object for a declared queue. */
  handle(name: string): object;
}

/** Injection token of the QueueHandles (absent under ServusTestingModule: no queues to show). */
export const QUEUE_HANDLES = Symbol('QUEUE_HANDLES');
