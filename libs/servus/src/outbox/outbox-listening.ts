import { OutboxListener, OutboxStore } from './outbox-store.interface';

/** What the relay lends its LISTEN connection: a way to wake it, and its rate-limited warning. */
export interface ListeningRelay {
  wake(): void;
  warn(message: string): void;
}

/**
 * The relay's LISTEN connection. Opened on the relay's turn when there is none; when it is lost,
 * dropped and the relay woken to open another at once, or after `backoffMs` when the previous loss
 * was more recent than that (a database that drops every connection must not be asked in a loop).
 * Only the current listener's loss counts: a late event of one already replaced is ignored.
 */
export class OutboxListening {
  private listener?: OutboxListener;
  private lastLoss = -Infinity;
  /** After a loss too soon after the previous one: no LISTEN before this time, whatever wakes the relay. */
  private notBefore = 0;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly store: OutboxStore,
    private readonly settings: { pollMs: number; backoffMs: number },
    private readonly relay: ListeningRelay,
  ) {}

  /** Whether a LISTEN is open (commits wake the relay) or the relay only polls. */
  get open(): boolean {
    return this.listener !== undefined;
  }

  /** Opens a LISTEN when there is none; a failure is warned about, and polling covers the time without. */
  async ensure(): Promise<void> {
    if (this.listener || Date.now() < this.notBefore) return;
    let listener: OutboxListener | undefined;
    let lostWhileOpening = false;
    try {
      listener = await this.store.listen(
        () => this.relay.wake(),
        (error) => {
          if (!listener) lostWhileOpening = true;
          else if (listener === this.listener) this.lost(error);
        },
      );
      if (lostWhileOpening) {
        void listener.close().catch(() => undefined);
        throw new Error('the LISTEN connection was lost while it opened');
      }
      this.listener = listener;
    } catch (error) {
      this.relay.warn(
        `Outbox relay: LISTEN failed, polling every ${this.settings.pollMs}ms: ${(error as Error).message}`,
      );
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.retry);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close().catch(() => undefined);
  }

  private lost(error: Error): void {
    const lost = this.listener;
    this.listener = undefined;
    void lost?.close().catch(() => undefined);
    const now = Date.now();
    const firstInAWhile = now - this.lastLoss > this.settings.backoffMs;
    this.lastLoss = now;
    // The relay's next turn opens a LISTEN, then claims what committed meanwhile.
    if (firstInAWhile) {
      this.relay.warn(`Outbox relay: LISTEN lost, listening again now: ${error.message}`);
      this.relay.wake();
      return;
    }
    this.relay.warn(
      `Outbox relay: LISTEN lost again within ${this.settings.backoffMs}ms, listening again in ${this.settings.backoffMs}ms: ${error.message}`,
    );
    this.notBefore = now + this.settings.backoffMs;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.relay.wake(), this.settings.backoffMs);
  }
}
