import { TypeOrmDataSourceLike, TypeOrmQueryRunnerLike, TypeOrmSubscriberLike } from './typeorm-shapes';

/** A commit callback and the transaction depth it was registered at (a rolled-back savepoint drops its own). */
type PendingCallback = { depth: number; run: () => void };

/**
 * Callbacks run once a TypeORM query runner's outermost transaction commits, never when it rolls
 * back; a savepoint rolled back drops the callbacks registered inside it. TypeORM has no hook per
 * transaction, so one subscriber per DataSource dispatches its transaction events by query runner.
 */
export class TypeOrmCommitHooks {
  private readonly pending = new WeakMap<TypeOrmQueryRunnerLike, PendingCallback[]>();
  private readonly hooked = new WeakSet<TypeOrmDataSourceLike>();

  /** `runner` must be in a transaction. */
  add(runner: TypeOrmQueryRunnerLike, callback: () => void): void {
    this.hook(runner.connection);
    const callbacks = this.pending.get(runner) ?? [];
    callbacks.push({ depth: depthOf(runner), run: callback });
    this.pending.set(runner, callbacks);
  }

  private hook(dataSource: TypeOrmDataSourceLike): void {
    if (this.hooked.has(dataSource)) return;
    this.hooked.add(dataSource);
    const subscriber: TypeOrmSubscriberLike = {
      afterTransactionCommit: ({ queryRunner }) => {
        if (queryRunner.isTransactionActive) return; // a savepoint released: its callbacks wait for the outer commit
        const callbacks = this.pending.get(queryRunner) ?? [];
        this.pending.delete(queryRunner);
        for (const callback of callbacks) callback.run();
      },
      afterTransactionRollback: ({ queryRunner }) => {
        const depth = queryRunner.isTransactionActive ? depthOf(queryRunner) : 0;
        const kept = (this.pending.get(queryRunner) ?? []).filter((callback) => callback.depth <= depth);
        if (kept.length) this.pending.set(queryRunner, kept);
        else this.pending.delete(queryRunner);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
}

/** TypeORM counts nested transactions (savepoints) in a protected field. */
function depthOf(runner: TypeOrmQueryRunnerLike): number {
  return (runner as unknown as { transactionDepth: number }).transactionDepth;
}
