import { Logger } from '@nestjs/common';
import { FlowStore } from './flow-store';
import { escapeLog } from '../util/escape-log';

/** A slot held by a job running in this process. */
export interface HeldLease {
  holders: string;
  member: string;
  leaseMs: number;
  renewAt: number;
}

const TICK_MS = 100;

/**
 * Keeps the leases of this process's running jobs alive: one timer for all of them (not one per
 * job), each lease extended every third of its time. A process that stops (killed, frozen) stops
 * renewing, and its slots free themselves when their lease runs out.
 */
export class LeaseRenewer {
  private readonly logger = new Logger('Servus');
  private readonly held = new Set<HeldLease>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: FlowStore) {}

  /** `since`: when the lease was taken or last extended (ms). */
  hold(holders: string, member: string, leaseMs: number, since = Date.now()): HeldLease {
    const lease = { holders, member, leaseMs, renewAt: since + leaseMs / 3 };
    this.add(lease);
    return lease;
  }

  /** Renews `lease` from its `renewAt` on, until drop(). */
  add(lease: HeldLease): void {
    this.held.add(lease);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  /** The timer stays until a tick finds nothing held: short jobs come and go faster than it ticks. */
  drop(lease: HeldLease): void {
    this.held.delete(lease);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.held.size) return this.stop();
    const now = Date.now();
    for (const lease of this.held) {
      if (lease.renewAt > now) continue;
      lease.renewAt = now + lease.leaseMs / 3;
      this.store.renew(lease.holders, lease.member, lease.leaseMs).then(
        (held) => {
          // Lost for good (another job of its key may hold it now): said once, and not asked for again.
          if (held || !this.held.has(lease)) return;
          this.drop(lease);
          this.logger.warn(
            `Flow control: the slot of job ${escapeLog(lease.member, 300)} ran out while it ran; it is no longer renewed`,
          );
        },
        (error: Error) => this.logger.warn(`Flow control: lease not renewed: ${escapeLog(error.message)}`),
      );
    }
  }
}
