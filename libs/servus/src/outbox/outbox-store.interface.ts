import { OutboxStats } from '../execution/outbox-monitor.port';

export { OutboxStats };

/** One job as the outbox holds it until the relay hands it to BullMQ. */
export interface OutboxEntry {
  queue: string;
  /** The id the job will have in BullMQ (the receipt's jobId). */
  jobId: string;
  /** The service name (BullMQ's job name). */
  name: string;
  /** The job's data, exactly as a direct callAsync would store it. */
  payload: unknown;
  /** BullMQ job options, `jobId` and `timestamp` (the call time) included. */
  options: Record<string, unknown>;
}

/** A committed outbox row. */
export interface OutboxRow extends OutboxEntry {
  /** Its position in the outbox (rows move in this order). */
  id: string;
  createdAt: Date;
}

/** A row BullMQ refused for itself (not because Redis was down), and why. */
export interface ParkedRow {
  row: OutboxRow;
  reason: string;
}

/** An open LISTEN; close() ends it. */
export interface OutboxListener {
  close(): Promise<void>;
}

/**
 * What the outbox needs of a data layer (TypeORM today; plain `pg`, Prisma or Knex can implement
 * it). `scope` separates deployments sharing one table: it is the Redis key prefix, so a relay
 * only moves the rows of its own Redis. Rows are written by `insert` inside the caller's
 * transaction and moved by `claim`, which must lock what it returns (`FOR UPDATE SKIP LOCKED`) so
 * that any number of relays can run at once.
 *
 * @publicApi
 */
export interface OutboxStore {
  /**
   * Whether `transaction` is an open transaction of this data layer (for TypeORM: the EntityManager of a transaction
   * still running). A call given anything else is refused before anything is written.
   */
  accepts(transaction: unknown): boolean;
  /** Writes the entries inside `transaction`; an entry whose (scope, queue, jobId) is already there is skipped. Throws when the transaction is not open. */
  insert(transaction: unknown, scope: string, entries: OutboxEntry[]): Promise<void>;
  /** Runs `callback` once `transaction` commits; never when it rolls back. */
  onCommit(transaction: unknown, callback: () => void): void;
  /**
   * In one transaction of its own: takes up to `limit` of the scope's oldest rows that no other
   * relay holds and none refused, hands them to `move`, and deletes them if `move` resolves
   * (nothing changes if it throws); the rows `move` answers as refused are kept, marked with the
   * reason, and never taken again. Resolves to the number of rows taken.
   */
  claim(scope: string, limit: number, move: (rows: OutboxRow[]) => Promise<ParkedRow[]>): Promise<number>;
  /** Calls `onWake` whenever rows are committed (LISTEN/NOTIFY), `onError` when the listening connection is lost. */
  listen(onWake: () => void, onError: (error: Error) => void): Promise<OutboxListener>;
  stats(scope: string): Promise<OutboxStats>;
  find(scope: string, queue: string, jobId: string): Promise<OutboxRow | undefined>;
  /** Deletes a committed row not yet moved; false when there is none (moved, or never committed). */
  remove(scope: string, queue: string, jobId: string): Promise<boolean>;
}
