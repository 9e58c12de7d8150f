import { Logger } from '@nestjs/common';
import { FlowTicket } from '../async/flow-control.port';
import { FlowLimits } from './flow-limits';
import { FlowKeyNames } from './flow-keys';
import { FlowStore, settlesWithin, SHUTDOWN_WAIT_MS } from './flow-store';
import { HeldSlot, SlotReleaser } from './held-slot';
import { LeaseRenewer } from './lease-renewer';
import { escapeLog } from '../util/escape-log';

/**
 * The concurrency slots held by jobs running in this process: each lease is renewed until its release, and the
 * releases are counted until Redis answers them, so that shutdown can wait for the last ones.
 */
export class HeldSlots implements SlotReleaser {
  private readonly logger = new Logger('Servus');
  private readonly renewer: LeaseRenewer;
  /** Releases sent and not answered yet (the processor does not wait for them): shutdown does, up to SHUTDOWN_WAIT_MS. */
  private unanswered = 0;
  /** Told when `unanswered` drops to 0, while shutdown waits. */
  private allAnswered?: () => void;
  /** A release Redis did not answer was logged as a warning (the next ones at debug level). */
  private lostReleaseWarned = false;

  constructor(private readonly store: FlowStore) {
    this.renewer = new LeaseRenewer(store);
  }

  /** The ticket of `holder`, which holds a slot of `names` since `since`: its lease is renewed until it is released. */
  hold(
    names: FlowKeyNames,
    holder: string,
    concurrency: NonNullable<FlowLimits['concurrency']>,
    since = Date.now(),
  ): FlowTicket {
    const slot = new HeldSlot(this, names, holder, concurrency.limit, concurrency.leaseMs, since);
    this.renewer.add(slot);
    return slot;
  }

  /** Sends `slot`'s release (HeldSlot sends each once); `done` hears Redis's answer. */
  free(slot: HeldSlot, done?: () => void): void {
    this.renewer.drop(slot);
    this.unanswered++;
    this.store.releaseThen(slot.names, slot.member, slot.limit, slot.leaseMs, (error) => {
      // Redis unreachable: the lease runs out by itself.
      if (error) this.lostRelease(error);
      if (--this.unanswered === 0) this.allAnswered?.();
      done?.();
    });
  }

  /**
   * Waits up to SHUTDOWN_WAIT_MS for the releases under way, then stops renewing; resolves whether Redis answered
   * them all in time.
   */
  async settle(): Promise<boolean> {
    const released = await settlesWithin(this.answered(), SHUTDOWN_WAIT_MS);
    this.renewer.stop();
    // The releases left unanswered fail as the store closes: the caller's warning stands for them.
    if (!released) this.lostReleaseWarned = true;
    return released;
  }

  /** Resolves once every release sent has been answered (or has failed). */
  private answered(): Promise<void> {
    if (this.unanswered === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.allAnswered = resolve));
  }

  private lostRelease(error: Error): void {
    const message = `Flow control: a release failed (${escapeLog(error.message)}); its slot frees when its lease runs out`;
    if (this.lostReleaseWarned) return this.logger.debug(message);
    this.lostReleaseWarned = true;
    this.logger.warn(`${message} (further ones are logged at debug level)`);
  }
}
