import { OutboxStore } from './outbox-store.interface';

/** How the relay moves committed outbox rows to Redis. */
export interface OutboxRelayOptions {
  /** Rows moved per transaction. Default 500. */
  batchSize?: number;
  /** Poll interval, the fallback when a notification is missed (LISTEN connection lost). Default 1000 ms. */
  pollMs?: number;
  /** First wait after a failed move (Redis or the database down); doubled per failure up to `maxBackoffMs`. Default 100 ms. */
  backoffMs?: number;
  /** Longest wait between tries while failing. Default 5000 ms. */
  maxBackoffMs?: number;
}

/**
 * Transactional enqueue: `callAsync(S, args, { transaction })` writes the job to the outbox
 * table in that transaction; a relay moves committed rows to BullMQ.
 *
 * @publicApi
 */
export interface ServusOutboxOptions {
  /** The data layer holding the outbox table, e.g. `new TypeOrmOutboxStore(dataSource)`. */
  store: OutboxStore;
  /** Run a relay in this process. Default: true in a worker (the module has `worker`), false elsewhere. */
  relay?: boolean | OutboxRelayOptions;
}

/** The outbox's part of the module options. */
export interface OutboxModuleOptions {
  /** Transactional enqueue (`callAsync(S, args, { transaction })`) and its relay. See docs/transactional-enqueue.md. */
  outbox?: ServusOutboxOptions;
}
