import { createRedisClient, RedisClient } from '../async/redis-connection';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { BATCH } from './flow-scripts';
import { HEAD, RENEW } from './lease-scripts';
import { bounded } from '../util/bounded';
import { FlowBatch, Ride } from './flow-batch';
import { FlowKeyNames } from './flow-keys';
import { JobWaker, WakerStore } from './job-waker';

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
  servusFlowHead(holders: string, parked: string): Promise<[string, number] | []>;
};

/**
 * Flow control's Redis: one connection of its own (opened on first use: a worker's boot, or the first job
 * with limits), the scripts, and the batches of acquires and releases; woken jobs go back to their queue (JobWaker).
 */
export class FlowStore implements WakerStore {
  private client?: ScriptClient;
  /** Puts the jobs a release wakes back in their queue. */
  readonly waker = new JobWaker(this);
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

  /** Frees a slot; the jobs it wakes (each with a slot reserved) are put back in their queue (see JobWaker.wake). */
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
      this.waker.wake(keys, woken, limit, leaseMs).then(
        () => done(),
        (failed: Error) => done(failed),
      );
    });
  }

  /** RELEASE of `item` (an attempt, or a job whose reserved slot goes on): the jobs it woke. */
  passOn(keys: FlowKeyNames, item: string, limit: number, leaseMs: number): Promise<string[]> {
    return this.batched('r', [keys.holders, keys.parked], [item, limit, leaseMs]) as Promise<string[]>;
  }

  async renew(holders: string, holder: string, leaseMs: number): Promise<number> {
    return this.redis().servusFlowRenew(holders, holder, leaseMs);
  }

  /** The first job in the key's line and the ms until the earliest lease of the key runs out (HEAD); [] if none waits. */
  head(keys: FlowKeyNames): Promise<[string, number] | []> {
    return this.redis().servusFlowHead(keys.holders, keys.parked);
  }

  /** Flow control's connection, opened on first use (a closed store opens none: it throws). */
  redis(): ScriptClient {
    if (this.client) return this.client;
    // A body that outlived its deadline may settle after shutdown: its release must not open a new connection.
    if (this.closed) throw new Error('Flow control is shut down: its lease runs out by itself');
    const client = createRedisClient(this.options, 'worker') as ScriptClient;
    // No auto-pipelining: acquires and releases are batched per event-loop turn here (BATCH), one script call each.
    client.defineCommand('servusFlowBatch', { lua: BATCH }); // the number of keys comes first: it varies
    client.defineCommand('servusFlowRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('servusFlowHead', { numberOfKeys: 2, lua: HEAD });
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
    await this.waker.close();
    this.client?.disconnect();
    this.client = undefined;
    return answered;
  }
}
