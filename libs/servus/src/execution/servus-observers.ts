import { Injectable, Logger } from '@nestjs/common';
import { ServiceResponse } from '../response/service-response';
import { CallContext } from '../service/call-context';
import { ServiceDefinition } from '../service/service-definition';
import { AsyncReceipt } from './call-async-options.interface';

/** How a call ended, for metrics. */
export interface CallObservation {
  service: string;
  /** The queue of a job run by a worker; undefined for `executor.call`. */
  queue?: string;
  /** 'failure': a failure response (its ServiceError code); 'exception': an unrescued throw (its name). */
  outcome: 'success' | 'failure' | 'exception';
  code?: string;
  durationMs: number;
}

/** How a call ended, as `callFinished` hears it: its response, else the exception it raised. */
export function callObservation(
  definition: ServiceDefinition,
  context: CallContext | undefined,
  durationMs: number,
  response: ServiceResponse | undefined,
  error: unknown,
): CallObservation {
  const service = definition.name;
  const queue = context?.job?.queue;
  if (!response) {
    const code = error instanceof Error ? error.name : typeof error;
    return { service, queue, outcome: 'exception', code, durationMs };
  }
  const outcome = response.success ? 'success' : 'failure';
  return { service, queue, outcome, code: response.success ? undefined : response.error.code, durationMs };
}

/** A job that failed in this worker: retried later, or failed for good ('dead'). */
export interface JobObservation {
  service: string;
  queue: string;
  jobId: string;
  attemptsMade: number;
}

/** A job that could not start because of a flow limit: put back (delayed) without using an attempt. */
export interface PostponedObservation {
  service: string;
  queue: string;
  jobId: string;
  reason: 'concurrency' | 'rate_limit';
  /** How long it waits at most before it looks again (a freed slot may wake it sooner). */
  delayMs: number;
}

/**
 * What an observer can see. Each hook is optional; a module without observers pays one
 * length check per hook. A hook that throws is logged and skipped: observing must never
 * change a call's outcome (in a worker, a thrown hook would retry a job that succeeded).
 */
export interface ServusObserver {
  callStarted?(definition: ServiceDefinition, args: unknown): void;
  callFinished?(call: CallObservation): void;
  enqueued?(receipts: readonly AsyncReceipt[]): void;
  jobRetrying?(job: JobObservation): void;
  jobDead?(job: JobObservation): void;
  /** A job over a concurrency or rate limit was postponed (flow control). */
  jobPostponed?(job: PostponedObservation): void;
  /** A job running in this worker lost its lock (its signal is aborted; it may run again elsewhere). */
  lockLost?(job: JobObservation): void;
  /** An event is emitted (ServusEvents.emit), before its handlers run. */
  emitted?(event: string, payload: unknown): void;
}

type Hook = keyof ServusObserver;
type Listener<K extends Hook> = NonNullable<ServusObserver[K]>;
type AnyListener = (...args: unknown[]) => void;

/**
 * The one place the pipeline, the executor and the worker report to: the metrics module
 * and the test recorder subscribe here instead of each patching its own field.
 *
 * @publicApi
 */
@Injectable()
export class ServusObservers {
  private readonly hooks: { [K in Hook]: Listener<K>[] } = {
    callStarted: [],
    callFinished: [],
    enqueued: [],
    jobRetrying: [],
    jobDead: [],
    jobPostponed: [],
    lockLost: [],
    emitted: [],
  };
  private readonly logger = new Logger('Servus');

  private listening: Readonly<Record<Hook, boolean>> = this.table();

  /**
   * Which hooks someone listens to, rebuilt on each subscribe and unsubscribe: a call reads it with
   * named property loads (`observed.callFinished`), not a lookup by a variable hook name.
   */
  get observed(): Readonly<Record<Hook, boolean>> {
    return this.listening;
  }

  /** Subscribes; returns the function that unsubscribes (calling it again does nothing). */
  add(observer: ServusObserver): () => void {
    const added: Array<[Hook, AnyListener]> = [];
    for (const hook of Object.keys(this.hooks) as Hook[]) {
      const listener = (observer as Partial<Record<Hook, AnyListener>>)[hook];
      if (typeof listener !== 'function') continue;
      const guarded: AnyListener = (...args) => {
        try {
          listener.apply(observer, args);
        } catch (error) {
          this.logger.error(`Observer ${hook} threw (ignored): ${(error as Error)?.message ?? error}`);
        }
      };
      (this.hooks[hook] as AnyListener[]).push(guarded);
      added.push([hook, guarded]);
    }
    this.listening = this.table();
    return () => {
      for (const [hook, guarded] of added.splice(0)) {
        const list = this.hooks[hook] as AnyListener[];
        const index = list.indexOf(guarded);
        // Stryker disable next-line ConditionalExpression: equivalent: `added` is emptied on the first call, each stays listed
        if (index >= 0) list.splice(index, 1);
      }
      this.listening = this.table();
    };
  }

  /** true when someone listens to `hook` (callers skip building the observation otherwise). */
  has(hook: Hook): boolean {
    return this.listening[hook];
  }

  private table(): Readonly<Record<Hook, boolean>> {
    const { hooks } = this;
    return Object.freeze({
      callStarted: hooks.callStarted.length > 0,
      callFinished: hooks.callFinished.length > 0,
      enqueued: hooks.enqueued.length > 0,
      jobRetrying: hooks.jobRetrying.length > 0,
      jobDead: hooks.jobDead.length > 0,
      jobPostponed: hooks.jobPostponed.length > 0,
      lockLost: hooks.lockLost.length > 0,
      emitted: hooks.emitted.length > 0,
    });
  }

  callStarted(definition: ServiceDefinition, args: unknown): void {
    for (const listener of this.hooks.callStarted) listener(definition, args);
  }

  callFinished(call: CallObservation): void {
    for (const listener of this.hooks.callFinished) listener(call);
  }

  enqueued(receipts: readonly AsyncReceipt[]): void {
    for (const listener of this.hooks.enqueued) listener(receipts);
  }

  jobRetrying(job: JobObservation): void {
    for (const listener of this.hooks.jobRetrying) listener(job);
  }

  jobDead(job: JobObservation): void {
    for (const listener of this.hooks.jobDead) listener(job);
  }

  jobPostponed(job: PostponedObservation): void {
    for (const listener of this.hooks.jobPostponed) listener(job);
  }

  lockLost(job: JobObservation): void {
    for (const listener of this.hooks.lockLost) listener(job);
  }

  emitted(event: string, payload: unknown): void {
    for (const listener of this.hooks.emitted) listener(event, payload);
  }
}
