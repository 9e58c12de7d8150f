import { Logger } from '@nestjs/common';
import { ServiceLimits } from './fetch-script';
import { FlowStore } from './flow-store';
import type { FlowKeys } from '../async/flow-control.port';

/** A slot a job's fetch took for one attempt (its lock token), waiting for that attempt's admit. */
export interface FetchGrant {
  /** The attempt the slot was taken for (see attemptOf): lock token and count of starts. */
  token: string;
  service: string;
  /** The concurrency and rate keys the slot was taken under ('' for none). */
  c: string;
  r: string;
  /** The first job now waiting in the key's line, which must watch the leases (see RedisFlowControl). */
  head?: string;
  /** When the fetch was sent (ms): the lease runs from a little after then, were the reply read much later. */
  at: number;
}

/** Grants kept before old ones are looked for (a fetched job that never reached admit, e.g. BullMQ failed it). */
const SWEEP_ABOVE = 1000;

/**
 * The slots this process's fetches took (FetchSlots), each kept until its attempt's admit takes it; a job refused
 * before admit gives it back (forgo).
 */
export class FetchGrants {
  private readonly logger = new Logger('Servus');
  /** The grants waiting for their attempt's admit, by queue, then job id (the id string BullMQ's Job gets too). */
  private readonly grants = new Map<string, Map<string, FetchGrant>>();
  /** How many grants `grants` holds in all. */
  private kept = 0;

  constructor(
    private readonly store: FlowStore,
    /** The numbers of each limited service, by name. */
    private readonly limits: Map<string, ServiceLimits>,
  ) {}

  /** The grant of `attempt` (see attemptOf) of job `id` of `queue`, taken out; undefined if none was taken. */
  take(queue: string, id: string, attempt: string): FetchGrant | undefined {
    const grants = this.grants.get(queue);
    const grant = grants?.get(id);
    if (grant?.token !== attempt) return undefined;
    grants!.delete(id);
    this.kept--;
    return grant;
  }

  /**
   * The grant of `attempt` of job `id` when it was taken for `service` under the job's own keys; a grant taken under
   * other keys than the job's payload says (written by something else) is not this job's slot: given back.
   */
  claim(queue: string, id: string, attempt: string, service: string, keys: FlowKeys): FetchGrant | undefined {
    const grant = this.take(queue, id, attempt);
    if (!grant || (grant.service === service && grant.c === (keys.c ?? '') && grant.r === (keys.r ?? ''))) return grant;
    this.giveBack(queue, id, grant);
    return undefined;
  }

  /** The attempt will not use a slot its fetch took (refused, or under other keys): given back. */
  forgo(queue: string, id: string, attempt: string): void {
    const grant = this.take(queue, id, attempt);
    if (grant) this.giveBack(queue, id, grant);
  }

  /** Frees a grant's lease (its start, under a rate limit, stays counted: the job was started). */
  giveBack(queue: string, id: string, grant: FetchGrant): void {
    const [limit, leaseMs] = this.limits.get(grant.service) ?? [0, 0];
    if (!limit) return;
    this.store
      .release(this.store.keyNames(grant.service, grant.c, grant.r), `${queue}:${id}:${grant.token}`, limit, leaseMs)
      .catch((error: Error) => this.logger.debug(`Flow control: an unused slot was not given back (${error.message})`));
  }

  /** Keeps the grant a fetch of job `id` of `queue` answered (sent at `at`), until its attempt's admit. */
  keep(queue: string, id: string, [token, c, r, head, service]: string[], at: number): void {
    let grants = this.grants.get(queue);
    if (!grants) this.grants.set(queue, (grants = new Map<string, FetchGrant>()));
    const now = Date.now();
    const old = grants.get(id);
    // A grant never admitted (the job stalled and came back, a new attempt): its lease is given back.
    if (!old) this.kept++;
    else if (old.token !== token) this.giveBack(queue, id, old);
    grants.set(id, { token, service, c, r, head: head || undefined, at });
    if (this.kept > SWEEP_ABOVE) this.sweep(now);
  }

  /** Never taken and never renewed: their leases have run out in Redis by themselves. */
  private sweep(now: number): void {
    for (const queued of this.grants.values())
      for (const [key, grant] of queued)
        if (now - grant.at > Math.max(this.limits.get(grant.service)?.[1] ?? 0, 1000)) {
          queued.delete(key);
          this.kept--;
        }
  }
}
