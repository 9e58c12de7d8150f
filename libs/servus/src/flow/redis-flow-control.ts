import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DelayedError, Job, Worker } from 'bullmq';
import { FlowControl, FlowKeys, FlowTicket } from '../async/flow-control.port';
import { QueueNames } from '../async/queue-names';
import { ServusObservers } from '../execution/servus-observers';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from '../async/async-options.interface';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { FlowKeyNames, flowKeysOf } from './flow-keys';
import { acquireArgs, FlowLimits, limitsOf } from './flow-limits';
import { FlowStore, SHUTDOWN_WAIT_MS, Verdict } from './flow-store';
import { HeldSlots } from './held-slots';
import { FetchSlots } from './fetch-slots';
import { ServiceLimits } from './fetch-script';
import { escapeLog } from '../util/escape-log';

const NO_SLOT: FlowTicket = { release: () => Promise.resolve() };

/** A job asking for its slot at admit. */
interface Admission {
  definition: ServiceDefinition;
  job: Job;
  token: string | undefined;
  names: FlowKeyNames;
  member: string;
  holder: string;
  limits: FlowLimits;
}

/** Up to 5 % of the lease, 250 ms at most: heads of lines do not all look again at the same instant. */
function jitter(leaseMs: number): number {
  return Math.floor(Math.random() * Math.min(250, leaseMs * 0.05));
}

/**
 * Per-key concurrency and rate limits across every worker, kept in Redis.
 *
 * A job of a service with limits gets its slot in the script call that fetches it (FetchSlots), or else asks
 * for one before its service runs (one script, shared with the other jobs asking in the same turn). Granted:
 * it holds a lease, renewed while it runs and released when it ends. Refused: the job is moved to
 * BullMQ's delayed set without using an attempt (moveToDelayed + DelayedError) and its worker takes
 * the next job. A job waiting for a concurrency slot is parked in its key's FIFO line; a release
 * reserves the freed slot for the first parked job and puts it back at the end of its queue. The
 * first jobs of a line also look again when the earliest lease of their key would run out, so a
 * killed worker's slot is taken over within the lease. A job over a rate limit is delayed to the
 * next free start of its key's schedule.
 */
@Injectable()
export class RedisFlowControl implements FlowControl, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Servus');
  private readonly store: FlowStore;
  /** The slots held by jobs running here, and their releases. */
  private readonly held: HeldSlots;
  /** The slots taken by workers' fetches, once a worker has joined. */
  private fetched?: FetchSlots;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions,
    names: QueueNames,
    private readonly registry: ServiceRegistry,
    private readonly observers: ServusObservers,
  ) {
    this.store = new FlowStore(options, names.prefix);
    this.held = new HeldSlots(this.store);
  }

  /** A bad declaration (limit 0, per 'soon') fails the boot, naming the service. */
  onApplicationBootstrap(): void {
    for (const definition of this.registry.definitions()) limitsOf(definition);
  }

  keysOf(definition: ServiceDefinition, args: unknown): FlowKeys | undefined {
    return flowKeysOf(definition, args);
  }

  /**
   * A tenth of the shortest lease (between 100 ms and 1 s), so a key whose holder was killed runs again within
   * about its lease; 1 s with rate limits only.
   */
  lostWakeupCheckMs(): number | undefined {
    let ms: number | undefined;
    for (const definition of this.registry.definitions()) {
      const limits = limitsOf(definition);
      if (!limits) continue;
      const own = limits.concurrency ? Math.min(1000, Math.max(100, limits.concurrency.leaseMs / 10)) : 1000;
      ms = Math.min(ms ?? own, own);
    }
    return ms;
  }

  /** Before the worker runs: its fetches take the slots of limited jobs (FetchSlots), when its BullMQ allows. */
  async joinFetch(worker: Worker): Promise<void> {
    const limits = new Map<string, ServiceLimits>();
    for (const definition of this.registry.definitions()) {
      const declared = limitsOf(definition);
      if (declared) limits.set(definition.name, acquireArgs(declared));
    }
    if (!limits.size) return;
    this.fetched ??= new FetchSlots(this.store, limits);
    await this.fetched.join(worker);
  }

  /** A job refused before admit: a slot its fetch took for this attempt is given back. */
  unused(job: Job, token: string | undefined): void {
    if (token !== undefined) this.fetched?.forgo(job.queueName, job.id!, attemptOf(job, token));
  }

  /** At once when the job's fetch took its slot; else after asking Redis (see FlowControl.admit). */
  admit(
    definition: ServiceDefinition,
    job: Job,
    token: string | undefined,
    keys: FlowKeys,
  ): FlowTicket | Promise<FlowTicket> {
    const limits = limitsOf(definition);
    if (!limits) return NO_SLOT;
    const names = this.store.keyNames(definition.name, keys.c, keys.r);
    const member = `${job.queueName}:${job.id}`;
    // Per attempt: a retry must not count as the attempt before it, whose body may still run past its deadline.
    const attempt = token === undefined ? undefined : attemptOf(job, token);
    const holder = `${member}:${attempt ?? randomUUID()}`;
    const grant =
      attempt === undefined ? undefined : this.fetched?.claim(job.queueName, job.id!, attempt, definition.name, keys);
    const fetched: Verdict | undefined = grant && { outcome: 'granted', waitMs: 0, head: grant.head, at: grant.at };
    // A third of the lease kept in hand: the job's first renewal comes within the renewer's tick and a round trip.
    const leaseMs = limits.concurrency?.leaseMs;
    if (fetched && (!leaseMs || Date.now() - fetched.at! < (leaseMs * 2) / 3))
      return this.granted(fetched, names, holder, limits);
    const admission = { definition, job, token, names, member, holder, limits };
    return fetched ? this.renewed(fetched, admission) : this.ask(admission);
  }

  /**
   * A fetched slot with less than a third of its lease left (the worker froze since the fetch: SIGSTOP, a long pause),
   * renewed before the service runs; lost meanwhile (another job of the key took it), the job asks again.
   */
  private async renewed(verdict: Verdict, admission: Admission): Promise<FlowTicket> {
    const { names, holder, limits } = admission;
    const { limit, leaseMs } = limits.concurrency!;
    const at = Date.now();
    const held = await this.store.renew(names.holders, holder, leaseMs).catch((error: Error) => {
      this.logger.debug(`Flow control: a lapsing slot was not renewed (${escapeLog(error.message)})`);
      return 0;
    });
    if (held) return this.granted({ ...verdict, at }, names, holder, limits);
    // Whatever Redis still holds under this attempt (a renewal applied whose answer was lost) goes first, in the call
    // that carries the ask: the job never waits behind its own slot.
    this.store.release(names, holder, limit, leaseMs).catch(() => undefined);
    return this.ask(admission);
  }

  private async ask(admission: Admission): Promise<FlowTicket> {
    const { names, member, holder, limits } = admission;
    const verdict = await this.store.acquire(names, member, holder, acquireArgs(limits));
    if (verdict.outcome === 'granted') return this.granted(verdict, names, holder, limits);
    throw await this.postpone(admission, verdict);
  }

  private granted(verdict: Verdict, names: FlowKeyNames, holder: string, { concurrency }: FlowLimits): FlowTicket {
    if (!concurrency) return NO_SLOT;
    // The line's new head watches the earliest lease of the key (a killed holder's may end before this one's).
    if (verdict.head) void this.store.waker.armHead(names);
    return this.held.hold(names, holder, concurrency, verdict.at);
  }

  /** Back to BullMQ's delayed set, no attempt used; the DelayedError tells the worker to take its next job. */
  private async postpone(
    { definition, job, token, names, member, limits }: Admission,
    verdict: Verdict,
  ): Promise<DelayedError> {
    let delayMs = verdict.waitMs;
    // The head of a line looks again when a lease would run out; several heads of one key not at the same instant.
    if (verdict.outcome === 'concurrency') delayMs += jitter(limits.concurrency!.leaseMs);
    // A slot reserved for this job went to the next in line (a job removed meanwhile passes it on): woken whatever
    // becomes of this one's move.
    const { limit, leaseMs } = limits.concurrency ?? { limit: 0, leaseMs: 0 };
    if (verdict.outcome === 'rate_limit' && verdict.head)
      void this.store.waker
        .wake(names, [verdict.head], limit, leaseMs)
        .catch((error: Error) =>
          this.logger.debug(`Flow control: a woken job was not put back (${escapeLog(error.message)})`),
        );
    await job.moveToDelayed(Date.now() + delayMs, token);
    // A release between the script and the move popped this job while it was still active: woken here.
    if (verdict.outcome === 'concurrency') await this.store.waker.wakeIfPopped(names.parked, member);
    if (this.observers.observed.jobPostponed)
      this.observers.jobPostponed({
        service: definition.name,
        queue: job.queueName,
        jobId: job.id!,
        reason: verdict.outcome as 'concurrency' | 'rate_limit',
        delayMs,
      });
    return new DelayedError(`postponed by flow control (${verdict.outcome}) for up to ${delayMs}ms`);
  }

  /** Waits for the releases under way and sends the last ones, up to SHUTDOWN_WAIT_MS in all (Redis may be gone). */
  async onApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    const released = await this.held.settle();
    const sent = await this.store.close(Math.max(0, deadline - Date.now()));
    if (released && sent) return;
    this.logger.warn(
      `Flow control: Redis did not answer the last releases within ${SHUTDOWN_WAIT_MS}ms; ` +
        'their slots free when their leases run out',
    );
  }
}

/**
 * One attempt of a job: its lock token and how many times it was started. BullMQ keeps one token along a chain of
 * fetches (a retry with backoff may come back on it), so the token alone could name a retry and the attempt before
 * it, whose body may still run past its deadline, as one holder of a slot.
 */
export function attemptOf(job: Job, token: string): string {
  return `${token}:${job.attemptsStarted}`;
}
