/**
 * How long a release waits for another call to carry it (ms). In a steady stream the worker's next call (the
 * completion that fetches its next job, or another job's acquire) comes within a round trip or two, so a job costs
 * no script call of its own for its release; a job of the released key waiting elsewhere is woken at most this
 * much later.
 */
export const RELEASE_DELAY_MS = 5;

/** An acquire or a release waiting for the next call that carries flow operations. */
interface PendingOperation {
  code: 'a' | 'r';
  keys: string[];
  args: (string | number)[];
  /** Called once, with Redis's answer or an error. */
  done: Answered;
}

/** How an operation is answered: `error` set when it failed. */
export type Answered = (error: Error | undefined, answer?: unknown) => void;

/** Operations taken together into one script call: their keys and arguments as runOperations reads them. */
export class Ride {
  constructor(
    private readonly operations: PendingOperation[],
    /** The rides sent and not answered yet: a ride leaves it when it is answered or fails. */
    private readonly unanswered: Set<Ride>,
    /** How many keys the operations have in all. */
    readonly keyCount: number,
  ) {}

  /**
   * Appends `count, keyCount, keys..., code and arguments of each operation...` to `target` (the fetch script's
   * layout), without arrays of their own.
   */
  appendTo(target: unknown[]): void {
    target.push(this.operations.length, this.keyCount);
    for (const operation of this.operations) for (const key of operation.keys) target.push(key);
    for (const operation of this.operations) {
      target.push(operation.code);
      for (const arg of operation.args) target.push(arg);
    }
  }

  /** BATCH's arguments: the number of keys, the keys, the number of operations, their codes and arguments. */
  batchArgs(): (string | number)[] {
    const args: (string | number)[] = [this.keyCount];
    for (const operation of this.operations) args.push(...operation.keys);
    args.push(this.operations.length);
    for (const operation of this.operations) args.push(operation.code, ...operation.args);
    return args;
  }

  /** Redis's answer: one per operation (an Error for one that failed), or one Error for all of them. */
  answer(answers: unknown): void {
    if (!this.unanswered.delete(this)) return;
    // An operation that failed in Redis (its answer an error) rejects its own caller only.
    const each = Array.isArray(answers);
    for (let i = 0; i < this.operations.length; i++) {
      const answer: unknown = each ? answers[i] : answers;
      if (answer instanceof Error) this.operations[i].done(answer);
      else this.operations[i].done(undefined, answer);
    }
  }

  /** The call failed: every operation fails with it. */
  fail(error: unknown): void {
    const failed = error instanceof Error ? error : new Error(String(error));
    if (this.unanswered.delete(this)) this.operations.forEach((operation) => operation.done(failed));
  }
}

/**
 * The flow operations of one process waiting to go to Redis together, in the order they were asked for. They go
 * with the next fetch of a worker of this process (FetchSlots), or in a script call of their own (`send`): an
 * acquire at the end of the turn of the event loop it was asked in (at worker speeds several jobs start in the
 * same turn), a release after RELEASE_DELAY_MS.
 */
export class FlowBatch {
  private pending: PendingOperation[] = [];
  /** Operations sent and not answered yet: failAll() answers them when Redis will not. */
  private readonly unanswered = new Set<Ride>();
  /** An acquire is pending: `send` runs at the end of this turn of the event loop. */
  private flushing = false;
  /** Only releases are pending: `send` runs when an acquire comes, or after RELEASE_DELAY_MS. */
  private releaseTimer?: NodeJS.Timeout;
  /** The release timer is set to go off (it is one Timeout, set again with refresh(): no timer a window). */
  private armed = false;
  /** When the oldest release still pending was asked for (ms). */
  private releasesSince?: number;

  constructor(private readonly send: () => void) {}

  add(code: 'a' | 'r', keys: string[], args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.push(code, keys, args, (error, answer) => (error ? reject(error) : resolve(answer))),
    );
  }

  /** As add(), answered through `done` (no promise: a release costs a job none). */
  push(code: 'a' | 'r', keys: string[], args: (string | number)[], done: Answered): void {
    this.pending.push({ code, keys, args, done });
    if (code === 'a') {
      if (this.flushing) return;
      this.flushing = true;
      setImmediate(this.send);
    } else {
      this.releasesSince ??= Date.now();
      if (this.armed) return;
      this.armed = true;
      if (this.releaseTimer) this.releaseTimer.refresh();
      else this.releaseTimer = setTimeout(this.expired, RELEASE_DELAY_MS);
    }
  }

  /**
   * The release timer is not stopped when a ride takes the releases (a timer a job would cost about as much as the
   * call it saves): when it goes off, the releases pending since RELEASE_DELAY_MS go; younger ones wait on.
   */
  private readonly expired = () => {
    this.armed = false;
    if (this.releasesSince === undefined) return;
    const left = this.releasesSince + RELEASE_DELAY_MS - Date.now();
    if (left <= 0) return this.send();
    this.armed = true;
    setTimeout(this.expired, left);
  };

  /** Takes every pending operation into one ride; undefined when none is pending. */
  take(): Ride | undefined {
    this.flushing = false;
    this.releasesSince = undefined;
    const operations = this.pending;
    if (!operations.length) return undefined;
    this.pending = [];
    let keyCount = 0;
    for (const operation of operations) keyCount += operation.keys.length;
    const ride = new Ride(operations, this.unanswered, keyCount);
    this.unanswered.add(ride);
    return ride;
  }

  /** Fails the operations sent and not answered (their commands stay queued in a client that no longer reconnects). */
  failAll(error: Error): void {
    for (const ride of [...this.unanswered]) ride.fail(error);
  }
}
