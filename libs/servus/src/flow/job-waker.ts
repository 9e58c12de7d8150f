import { Job, Queue } from 'bullmq';
import { Logger } from '@nestjs/common';
import { RedisClient } from '../async/redis-connection';
import { FlowKeyNames } from './flow-keys';
import { escapeLog } from '../util/escape-log';

/** What waking jobs asks of flow control's Redis (FlowStore). */
export interface WakerStore {
  readonly prefix: string;
  /** Flow control's connection, opened on first use (throws once the store is closed). */
  redis(): RedisClient;
  /** RELEASE of `item` (an attempt, or a job whose reserved slot goes on): the jobs it woke. */
  passOn(keys: FlowKeyNames, item: string, limit: number, leaseMs: number): Promise<string[]>;
  /** The first job in the key's line and the ms until the earliest lease of the key runs out; [] if none waits. */
  head(keys: FlowKeyNames): Promise<[string, number] | []>;
}

/**
 * Puts jobs that flow control postponed back in their queue when a slot frees for them, and has the head of a
 * line look again when a lease would run out. It addresses the jobs through Queue objects on the store's connection.
 */
export class JobWaker {
  private readonly logger = new Logger('Servus');
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly store: WakerStore) {}

  /**
   * Puts woken jobs back in their queue; a job gone meanwhile passes its reservation on (three rounds at most). The
   * line's head then looks again when the earliest lease of the key runs out: a woken job may never claim its slot
   * (rekeyed, refused), and a head watching a killed holder's lease keeps its time. Never rejects (the release is
   * done): a reservation not passed on, or a head not armed, is logged at debug level.
   */
  async wake(keys: FlowKeyNames, woken: string[], limit: number, leaseMs: number): Promise<void> {
    for (let round = 0; woken.length && round < 3; round++) {
      const promoted = await Promise.all(woken.map((item) => this.promote(item)));
      const gone = woken.filter((_item, i) => !promoted[i]);
      woken = [];
      for (const item of gone)
        try {
          woken.push(...(await this.store.passOn(keys, item, limit, leaseMs)));
        } catch (error) {
          // The release is done: a reservation not passed on runs out within the lease, and the head looks again.
          this.logger.debug(`Flow control: a slot was not passed on (${escapeLog((error as Error).message)})`);
        }
    }
    await this.armHead(keys);
  }

  /** The head of the key's line, if any, looks again when the earliest lease of the key runs out. Never rejects. */
  async armHead(keys: FlowKeyNames): Promise<void> {
    try {
      const [head, ms] = await this.store.head(keys);
      if (head) await this.arm(head, Number(ms));
    } catch (error) {
      this.logger.debug(`Flow control: the head of a line was not armed (${escapeLog((error as Error).message)})`);
    }
  }

  /**
   * A job just moved to delayed that a release popped from its line while it was still active goes back to its queue.
   * A line that cannot be read counts as popped: the job is no longer its worker's, promote never rejects, and the
   * job, back in its queue, asks again. Never rejects.
   */
  async wakeIfPopped(parked: string, member: string): Promise<void> {
    const stillParked = await this.isParked(parked, member).catch(() => false);
    if (!stillParked) await this.promote(member);
  }

  /** Whether a parked job is still waiting for its slot (false: a release woke it). */
  async isParked(parked: string, member: string): Promise<boolean> {
    return (await this.store.redis().zscore(parked, member)) !== null;
  }

  /** The head of a line looks again within `ms` (if it is still delayed: else nothing to do). */
  async arm(member: string, ms: number): Promise<void> {
    const [queue, id] = this.address(member);
    await new Job(queue, '', {}, {}, id).changeDelay(ms).catch(() => undefined);
  }

  /**
   * A woken job (member `queue:id`) from delayed back to its queue's end; false: the job is gone. Never rejects: a job
   * that could not be looked at (the store closed, Redis unreachable) counts as there, its own timer takes over.
   */
  async promote(member: string): Promise<boolean> {
    let address: [Queue, string] | undefined;
    try {
      address = this.address(member);
      await new Job(address[0], '', {}, {}, address[1]).promote();
      return true;
    } catch {
      // BullMQ answers "not in the delayed state" alike for a job still active (its parking step or its timer takes
      // over), one already woken and one removed while it waited: only the removed one has no hash left.
      if (!address) return true;
      try {
        return (await this.store.redis().exists(address[0].toKey(address[1]))) === 1;
      } catch {
        return true;
      }
    }
  }

  /** Closes the Queue objects (their connection is the store's). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }

  /** The Queue object and the id of the job a member (`queue:id`) names (throws once the store is closed). */
  private address(member: string): [Queue, string] {
    const colon = member.indexOf(':');
    return [this.queue(member.slice(0, colon)), member.slice(colon + 1)];
  }

  /** A Queue object on the store's connection, to address jobs of that queue (no connection of its own). */
  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.store.redis(), prefix: this.store.prefix });
      queue.on('error', (error) =>
        this.logger.warn(`Flow control, queue ${escapeLog(name)}: ${escapeLog(error.message)}`),
      );
      this.queues.set(name, queue);
    }
    return queue;
  }
}
