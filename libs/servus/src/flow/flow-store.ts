import { Job, Queue } from 'bullmq';
import { Logger } from '@nestjs/common';
import { createRedisClient, RedisClient } from '../async/redis-connection';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { BATCH, RENEW } from './flow-scripts';
import { bounded } from '../util/bounded';
import { FlowBatch, Ride } from './flow-batch';

/** The Redis keys of one job's limits (all under the module prefix, so they share its hash tag). */
export interface FlowKeyNames {
  holders: string;
  parked: string;
  starts: string;
  next: string;
}

/**
 * What an acquire answered: granted, parked (waiting for a slot) or over the rate; `waitMs` when to look again;
 * `at` when a worker's fetch granted the slot (ms, this process's clock; else now).
 */
export type Verdict = { outcome: 'granted' | 'concurrency' | 'rate_limit'; waitMs: number; head?: string; at?: number };

const OUTCOMES = ['granted', 'concurrency', 'rate_limit'] as const;

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

/**
 * Flow control's Redis: one connection of its own (opened on first use: a worker's boot, or the first job
 * with limits), the scripts, and the promotion of woken jobs back to their queue.
 */
export class FlowStore {
  private readonly logger = new Logger('Servus');
  private client?: ScriptClient;
  private readonly queues = new Map<string, Queue>();
  /** Acquires and releases waiting to go to Redis. */
  private readonly batch = new FlowBatch(() => void this.flush());
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

  /** `member` the job (`queue:id`), `holder` its attempt (`queue:id:token:starts`); `args` as ACQUIRE reads them. */
  async acquire(keys: FlowKeyNames, member: string, holder: string, args: (number | string)[]): Promise<Verdict> {
    const [code, waitMs, head] = (await this.batched(
      'a',
      [keys.holders, keys.parked, keys.starts, keys.next],
      [member, ...args, holder],
    )) as [number, number, string?];
    return { outcome: OUTCOMES[code], waitMs: Number(waitMs), head };
  }

  /** Acquires and releases go to Redis together, in one script call (see FlowBatch), in the order they were asked for. */
  private batched(code: 'a' | 'r', keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.batch.add(code, keys, args);
  }

  /** The operations waiting to go, taken into a script call that goes now (a worker's fetch); undefined when none. */
  ride(): Ride | undefined {
    return this.batch.take();
  }

  /** Sends what is pending in a script call of its own; resolves once it is answered. */
  private async flush(): Promise<void> {
    const ride = this.batch.take();
    if (!ride) return;
    let client: ScriptClient;
    try {
      client = this.redis();
    } catch (error) {
      return ride.fail(error);
    }
    await client.servusFlowBatch(...ride.batchArgs()).then(
      (answers) => ride.answer(answers),
      (error) => ride.fail(error),
    );
  }

  /** Loads `lua` into Redis's script cache: rejects when it does not compile. */
  async load(lua: string): Promise<void> {
    await this.redis().script('LOAD', lua);
  }

  /** Frees a slot; the jobs it wakes (each with a slot reserved) are put back in their queue (see wake). */
  release(keys: FlowKeyNames, holder: string, limit: number, leaseMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.releaseThen(keys, holder, limit, leaseMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** As release(), answered through `done` (most releases wake nobody: they cost no promise). */
  releaseThen(keys: FlowKeyNames, holder: string, limit: number, leaseMs: number, done: (error?: Error) => void): void {
    this.batch.push('r', [keys.holders, keys.parked], [holder, limit, leaseMs], (error, answer) => {
      const woken = answer as string[];
      if (error || !woken.length) return done(error);
      this.wake(keys, woken, limit, leaseMs).then(
        () => done(),
        (failed: Error) => done(failed),
      );
    });
  }

  /**
   * Puts woken jobs back in their queue; a job gone meanwhile passes its reservation on (three rounds at most). The
   * line's head then watches the reservations' leases: a woken job may never claim its slot (rekeyed, refused).
   */
  async wake(keys: FlowKeyNames, woken: string[], limit: number, leaseMs: number): Promise<void> {
    for (let round = 0; woken.length && round < 3; round++) {
      const promoted = await Promise.all(woken.map((item) => this.promote(item)));
      const gone = woken.filter((_item, i) => !promoted[i]);
      woken = [];
      for (const item of gone) woken.push(...(await this.free(keys, item, limit, leaseMs)));
    }
    const [head] = await this.redis().zrange(keys.parked, '0', '0');
    if (head) await this.arm(head, leaseMs);
  }

  /** RELEASE of `item` (an attempt, or a job whose reserved slot goes on): the jobs it woke. */
  private free(keys: FlowKeyNames, item: string, limit: number, leaseMs: number): Promise<string[]> {
    return this.batched('r', [keys.holders, keys.parked], [item, limit, leaseMs]) as Promise<string[]>;
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

  /** A woken job (member `queue:id`) from delayed back to its queue's end; false: the job is gone. */
  async promote(member: string): Promise<boolean> {
    const colon = member.indexOf(':');
    const queue = this.queue(member.slice(0, colon));
    const id = member.slice(colon + 1);
    try {
      await new Job(queue, '', {}, {}, id).promote();
      return true;
    } catch {
      // BullMQ answers "not in the delayed state" alike for a job still active (its parking step or its timer takes
      // over), one already woken and one removed while it waited: only the removed one has no hash left.
      const found = await this.redis()
        .exists(queue.toKey(id))
        .catch(() => 1);
      return found === 1;
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
    this.batch.failAll(new Error('Flow control is shut down: Redis did not answer; the lease runs out by itself'));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    this.client?.disconnect();
    this.client = undefined;
    return answered;
  }
}
