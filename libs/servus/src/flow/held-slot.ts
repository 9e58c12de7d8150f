import { FlowTicket } from '../async/flow-control.port';
import { FlowKeyNames } from './flow-keys';
import { HeldLease } from './lease-renewer';

/** Where a held slot's release goes (HeldSlots): it stops renewing the lease and sends the release. */
export interface SlotReleaser {
  free(slot: HeldSlot, done?: () => void): void;
}

/**
 * A concurrency slot held by one attempt of a job running in this process: its lease, as the renewer keeps it
 * alive, and the job's ticket, which frees it once. One object a job (no closures of its own).
 */
export class HeldSlot implements FlowTicket, HeldLease {
  readonly holders: string;
  renewAt: number;
  private sent = false;
  private released?: Promise<void>;

  constructor(
    private readonly releaser: SlotReleaser,
    readonly names: FlowKeyNames,
    /** The attempt holding the slot (`queue:id:token:starts`). */
    readonly member: string,
    readonly limit: number,
    readonly leaseMs: number,
    /** When the lease was taken (ms). */
    since: number,
  ) {
    this.holders = names.holders;
    this.renewAt = since + leaseMs / 3;
  }

  end(): void {
    this.free();
  }

  release(): Promise<void> {
    return (this.released ??= new Promise<void>((resolve) => void (this.free(resolve) || resolve())));
  }

  /** Sends the release once; false when it was sent already. */
  private free(done?: () => void): boolean {
    if (this.sent) return false;
    this.sent = true;
    this.releaser.free(this, done);
    return true;
  }
}
