import { Job, Queue } from 'bullmq';
import { Logger } from '@nestjs/common';
import { createRedisClient, RedisClient } from '../async/redis-connection';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { BATCH, RENEW } from './flow-scripts';
import { bounded } from '../util/bounded';

/** The Redis keys of one job's limits (all under the module prefix, so they share its hash tag). */
export interface FlowKeyNames {
  holders: string;
  parked: string;
  starts: string;
  next: string;
}

/** What an acquire answered: granted, parked (waiting for a slot) or over the rate; `waitMs` when to look again. */
export type Verdict = { outcome: 'granted' | 'concurrency' | 'rate_limit'; waitMs: number; head?: string };

const OUTCOMES = ['granted', 'concurrency', 'rate_limit'] as const;

/**
 * How long a release waits for an acquire to share its script call (ms). In a steady stream the worker's next
 * job asks for its slot within a round trip or two, so a job costs one script call's share instead of two;
 * a job of the released key waiting elsewhere is woken at most this much later.
 */
export const RELEASE_DELAY_MS = 5;

/**
 * How long shutdown waits for Redis to answer the last releases (ms). The worker's connection queues commands
 * while Redis is unreachable and retries without end, so without a bound a release would hold the shutdown forever;
 * a release not answered frees its slot when its lease runs out.
 */
export const SHUTDOWN_WAIT_MS = 2000;

/** Whether `promise` settles (either way) within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return (await bounded(() => promise, ms)).state !== 'silent';
}

type ScriptClient = RedisClient & {
  servusFlowBatch(...args: (string | number)[]): Promise<unknown[]>;
  servusFlowRenew(...args: (string | number)[]): Promise<number>;
};

/** An acquire or a release waiting for the next batch. */
interface PendingOperation {
  code: 'a' | 'r';
  keys: string[];
  args: (string | number)[];
  resolve(answer: unknown): void;
  reject(error: unknown): void;
}

/**
 * Flow control's Redis: one connection of its own (opened on the first job with limits), the
 * scripts, and the promotion of woken jobs back to their queue.
 */
export class FlowStore {
  private readonly logger = new Logger('Servus');
  private client?: ScriptClient;
  private readonly queues = new Map<string, Queue>();
  /** Acquires and releases waiting for the next batch. */
  private pending: PendingOperation[] = [];
  /** Batches sent and not answered yet: close() fails them when Redis does not answer in time. */
  private readonly unanswered = new Set<PendingOperation[]>();
  /** An acquire is pending: the batch goes at the end of this turn of the event loop. */
  private flushing = false;
  /** Only releases are pending: the batch goes when an acquire comes, or after RELEASE_DELAY_MS. */
  private releaseTimer?: NodeJS.Timeout;
  /** After close(): nothing opens a new connection. */
  private closed = false;

  constructor(
    private readonly options: AsyncModuleOptions,
    readonly prefix: string,
  ) {}

  keyNames(service: string, concurrencyKey = '', rateKey = ''): FlowKeyNames {
    const base = `${this.prefix}:flow:${service}`;
    return {
      holders: `${base}:c:${concurrencyKey}`,
      parked: `${base}:q:${concurrencyKey}`,
      starts: `${base}:r:${rateKey}`,
      next: `${base}:s:${rateKey}`,
    };
  }

  /** `member` the job (`queue:id`), `holder` its attempt (`queue:id:token`); `args` as ACQUIRE reads them. */
  async acquire(keys: FlowKeyNames, member: string, holder: string, args: (number | string)[]): Promise<Verdict> {
    const [code, waitMs, head] = (await this.batched(
      'a',
      [keys.holders, keys.parked, keys.starts, keys.next],
      [member, ...args, holder],
    )) as [number, number, string?];
    return { outcome: OUTCOMES[code], waitMs: Number(waitMs), head };
  }

  /**
   * Acquires and releases go to Redis together, in one script call (BATCH), in the order they were asked for.
   * An acquire waits for the end of the turn of the event loop it was asked in (at worker speeds several jobs
   * start in the same turn); a release also waits for the next acquire, at most RELEASE_DELAY_MS.
   */
  private batched(code: 'a' | 'r', keys: string[], args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ code, keys, args, resolve, reject });
      if (this.flushing) return;
      if (code === 'a') {
        this.flushing = true;
        setImmediate(() => void this.flush());
      } else this.releaseTimer ??= setTimeout(() => void this.flush(), RELEASE_DELAY_MS);
    });
  }

  /** Sends what is pending; resolves once every operation sent has its answer. */
  private async flush(): Promise<void> {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    this.flushing = false;
    const operations = this.pending;
    if (!operations.length) return;
    this.pending = [];
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const operation of operations) {
      keys.push(...operation.keys);
      args.push(operation.code, ...operation.args);
    }
    let client: ScriptClient;
    try {
      client = this.redis();
    } catch (error) {
      return operations.forEach((operation) => operation.reject(error));
    }
    this.unanswered.add(operations);
    await client.servusFlowBatch(keys.length, ...keys, operations.length, ...args).then(
      // An operation that failed in Redis (its answer an error) rejects its own caller only.
      (answers) =>
        operations.forEach((operation, i) =>
          answers[i] instanceof Error ? operation.reject(answers[i]) : operation.resolve(answers[i]),
        ),
      (error) => operations.forEach((operation) => operation.reject(error)),
    );
    this.unanswered.delete(operations);
  }

  /**
   * Frees a slot; the jobs it wakes (each with a slot reserved) are put back in their queue. A woken
   * job gone meanwhile (removed while it waited) gives its reservation to the next in line.
   */
  async release(keys: FlowKeyNames, holder: string, limit: number, leaseMs: number): Promise<void> {
    const free = (item: string) =>
      this.batched('r', [keys.holders, keys.parked], [item, limit, leaseMs]) as Promise<string[]>;
    let woken = await free(holder);
    for (let round = 0; woken.length && round < 3; round++) {
      const promoted = await Promise.all(woken.map((item) => this.promote(item)));
      const gone = woken.filter((_item, i) => !promoted[i]);
      woken = [];
      for (const item of gone) woken.push(...(await free(item)));
    }
  }

  async renew(holders: string, holder: string, leaseMs: number): Promise<number> {
    return this.redis().servusFlowRenew(holders, holder, leaseMs);
  }

  /** Whether a parked job is still waiting for its slot (false: a release woke it). */
  async isParked(parked: string, member: string): Promise<boolean> {
    return (await this.redis().zscore(parked, member)) !== null;
  }

  /** The head of a line looks again within `ms` (if it is still delayed: else nothing to do). */
  async arm(member: string, ms: number): Promise<void> {
    const colon = member.indexOf(':');
    await new Job(this.queue(member.slice(0, colon)), '', {}, {}, member.slice(colon + 1))
      .changeDelay(ms)
      .catch(() => undefined);
  }

  /**
   * A woken job (member `queue:id`) from delayed back to its queue's end. It may not be delayed (yet, or
   * any more): then its own parking step or its timer takes over. false: the job is gone.
   */
  async promote(member: string): Promise<boolean> {
    const colon = member.indexOf(':');
    const queueName = member.slice(0, colon);
    try {
      await new Job(this.queue(queueName), '', {}, {}, member.slice(colon + 1)).promote();
      return true;
    } catch (error) {
      // Missing: removed while it waited. Not delayed: still active (its parking step wakes it) or already woken.
      return !/missing/i.test((error as Error).message);
    }
  }

  /** A Queue object on this connection, to address jobs of that queue (no connection of its own). */
  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis(), prefix: this.prefix });
      queue.on('error', (error) => this.logger.warn(`Flow control, queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private redis(): ScriptClient {
    if (this.client) return this.client;
    // A body that outlived its deadline may settle after shutdown: its release must not open a new connection.
    if (this.closed) throw new Error('Flow control is shut down: its lease runs out by itself');
    const client = createRedisClient(this.options, 'worker') as ScriptClient;
    // No auto-pipelining: acquires and releases are batched per event-loop turn here (BATCH), one script call each.
    client.defineCommand('servusFlowBatch', { lua: BATCH }); // the number of keys comes first: it varies
    client.defineCommand('servusFlowRenew', { numberOfKeys: 1, lua: RENEW });
    return (this.client = client);
  }

  /**
   * Sends the releases still waiting for an acquire and waits for Redis's answer up to `waitMs`, then disconnects.
   * Resolves whether Redis answered them in time (false: their leases run out by themselves).
   */
  async close(waitMs = SHUTDOWN_WAIT_MS): Promise<boolean> {
    const answered = await settlesWithin(this.flush(), waitMs);
    this.closed = true;
    // Their commands stay queued in a client that no longer reconnects: their callers are answered here.
    const gone = new Error('Flow control is shut down: Redis did not answer; the lease runs out by itself');
    for (const operations of this.unanswered) operations.forEach((operation) => operation.reject(gone));
    this.unanswered.clear();
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    this.client?.disconnect();
    this.client = undefined;
    return answered;
  }
}
