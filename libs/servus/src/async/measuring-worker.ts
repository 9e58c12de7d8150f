import { Job, JobJson, Processor, Worker, WorkerOptions } from 'bullmq';
import { StoredTextSize, storedTextSize } from './payload-limits';
import { boundFetchedFields } from './fetched-fields';
import { unschedulableRepeat } from './unschedulable-repeat';
import { mayBeUnreadableFetch, RecoveredFetch, recoverUnreadableFetch, UnreadableFetchQueue } from './unreadable-fetch';

/**
 * A Job built by a MeasuringWorker: it keeps the size of its data's text as read from Redis,
 * so that the size limit is checked without serialising the parsed data again. Its text is
 * parsed only when within the size limit, and a text that is not JSON does not stop the job
 * from being built: the job carries null data and the reason, and the processor fails it.
 */
export class MeasuredJob extends Job {
  /** The stored data text's size; undefined when the job was not built by a MeasuringWorker. */
  storedSize?: StoredTextSize;

  /** Why the stored data text is not JSON (its data is then null); undefined when it parsed or was not parsed. */
  unparsable?: string;

  static override fromJSON<T = unknown, R = unknown, N extends string = string>(
    queue: Parameters<typeof Job.fromJSON>[0],
    json: JobJson,
    jobId?: string,
  ): Job<T, R, N> {
    if (!(queue instanceof MeasuringWorker)) return super.fromJSON<T, R, N>(queue, json, jobId);
    // The text Job.fromJSON parses ('{}' stands for missing data).
    const text = json.data || '{}';
    const storedSize = storedTextSize(text, queue.maxPayloadBytes);
    let job: Job<T, R, N>;
    let unparsable = queue.takeUnreadable(jobId ?? json.id);
    if (unparsable !== undefined || storedSize.bytes > queue.maxPayloadBytes) {
      // Never parsed: its fields were reset only to fail it (unreadableFetch), or it is refused by its length alone
      // (20 MB of `[{},...]` takes seconds and 640 MB of heap to parse).
      job = super.fromJSON<T, R, N>(queue, { ...json, data: 'null' }, jobId);
    } else {
      try {
        job = super.fromJSON<T, R, N>(queue, json, jobId);
      } catch (error) {
        // A throw here happens after BullMQ moved the job to active, with no one to fail it: it would stall forever.
        job = super.fromJSON<T, R, N>(queue, { ...json, data: 'null' }, jobId);
        unparsable = `the job's data is not JSON (${whereNotJson(text, error)})`;
      }
    }
    // Built by `new this` (super.fromJSON): a MeasuredJob, whose fields these are.
    const measured = job as unknown as MeasuredJob;
    measured.storedSize = storedSize;
    measured.unparsable = unparsable;
    return job;
  }

  /**
   * When the job after this one could not be read (see unreadable-fetch.ts): that job, to be failed. Followed with
   * `then`, not awaited in an async frame: every job completes through here (an async frame costs it a few hundred
   * bytes and a tenth of a microsecond more).
   */
  override moveToCompleted(returnValue: unknown, token: string, fetchNext = true): Promise<void | unknown[]> {
    return super.moveToCompleted(returnValue, token, fetchNext).then(
      (next) => this.completed(next),
      (error: unknown) => this.movedBeforeUnreadable(error, token, fetchNext).then((next) => this.completed(next)),
    );
  }

  /** Tells the worker's afterCompleted, once the job is stored as completed. */
  private completed<T>(next: T): T {
    if (this.queue instanceof MeasuringWorker) this.queue.afterCompleted?.(this.id!);
    return next;
  }

  override moveToFailed<E extends Error>(err: E, token: string, fetchNext = false): Promise<void | unknown[]> {
    return super
      .moveToFailed(err, token, fetchNext)
      .then(undefined, (error: unknown) => this.movedBeforeUnreadable(error, token, fetchNext));
  }

  /**
   * This job was moved (completed, failed or retried) by the script that also fetched the next job,
   * and BullMQ threw while reading that next job, before it recorded the move here: recorded as it
   * would have (an attempt made; when it ended, if it did: the worker's `failed` event tells a last
   * attempt by these), then the next job, to be failed. Anything else is thrown again.
   */
  private async movedBeforeUnreadable(error: unknown, token: string, fetchNext: boolean): Promise<unknown[]> {
    if (!fetchNext || !(this.queue instanceof MeasuringWorker)) throw error;
    const { next } = await this.queue.unreadableFetch(error, token);
    this.attemptsMade += 1;
    const finishedOn = await this.queue.storedFinishedOn(this.id!);
    if (finishedOn !== undefined) this.finishedOn = finishedOn;
    return next;
  }
}

/** Where a text failed to parse, from JSON.parse's error: a position, never the text that V8's messages quote. */
function whereNotJson(text: string, error: unknown): string {
  if (text.charCodeAt(0) === 0xfeff) return 'it starts with a byte order mark';
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `invalid at position ${position}`;
  if (message === 'Unexpected end of JSON input') return `it ends early, at position ${text.length}`;
  return 'an unexpected character';
}

/** Servus's consuming Worker: BullMQ's, with jobs that know their stored data's size (MeasuredJob). */
export class MeasuringWorker extends Worker {
  constructor(
    name: string,
    processor: Processor,
    opts: WorkerOptions,
    /** The size limit the jobs' texts are measured against (limits.maxPayloadBytes). */
    readonly maxPayloadBytes: number,
  ) {
    super(name, processor, opts);
    // BullMQ 5 has no backend (nor parses these fields before Job.fromJSON).
    if (typeof this.getBackend === 'function')
      boundFetchedFields(this.getBackend(), this.toKey(''), maxPayloadBytes, (id, reason) =>
        this.unreadable.set(id, reason),
      );
  }

  /** Called with a job's id once it is stored as completed (the cancellation listener's, see cancel-listener.ts). */
  afterCompleted?: (jobId: string) => void;

  /** Jobs read again after their unreadable fields were reset: id -> why they are failed. */
  private readonly unreadable = new Map<string, string>();

  protected override get Job(): typeof Job {
    // Same constructor and statics as Job; only fromJSON and the moves that fetch the next job differ.
    return MeasuredJob as unknown as typeof Job;
  }

  /** A fetch whose job could not be read gives that job (its fields reset), to be failed at once. */
  protected override moveToActive(...args: [token: string, name?: string]): Promise<Job> {
    return super.moveToActive(...args).then(undefined, async (error: unknown) => {
      const [token] = args;
      const [json, id] = (await this.unreadableFetch(error, token)).next;
      return this.nextJobFromJobData(json, id, token);
    });
  }

  /**
   * BullMQ schedules the next iteration of a job with a repeatJobKey as it hands the job over, and drops the job when
   * that throws for another reason than a lost connection: the job stays active under this worker's lock, comes back
   * as stalled, and is dropped again. When the job's own repeat options are the cause (none, a pattern BullMQ cannot
   * read: see unschedulableRepeat), that is forever: such a job is handed over, to be failed at once (with the reason
   * its fetch already gave when it reset a field of the job: the job is refused for that one anyway). Otherwise
   * (Redis refused, a timeout) it is dropped as BullMQ drops it: it comes back and its schedule goes on. A closing
   * worker drops it as BullMQ does. Not an async function: every fetched job passes here, and a job without a
   * repeatJobKey gets BullMQ's own promise (an async frame would cost it a promise and two ticks before it starts).
   */
  protected override nextJobFromJobData(jobData?: JobJson, jobId?: string, token?: string): Promise<Job> {
    // The job's fields under BullMQ 6's names (BullMQ 5 hands over the hash's own: rjk).
    const stored = jobData as { repeatJobKey?: unknown; rjk?: unknown } | undefined;
    if (!stored?.repeatJobKey && !stored?.rjk) return super.nextJobFromJobData(jobData, jobId, token);
    return this.nextRepeatingJob(jobData!, jobId, token);
  }

  /** nextJobFromJobData of a job with a repeatJobKey: handed over to be failed when its repeat cannot be scheduled. */
  private async nextRepeatingJob(jobData: JobJson, jobId?: string, token?: string): Promise<Job> {
    const known = jobId === undefined ? undefined : this.unreadable.get(jobId);
    const job = await super.nextJobFromJobData(jobData, jobId, token);
    if (job || jobId === undefined || this.closing) return job;
    let reason = known;
    if (reason === undefined) {
      const probe = this.createJob(jobData, jobId);
      const problem = await unschedulableRepeat(probe.opts, probe.name, this.opts.settings?.repeatStrategy);
      if (problem === undefined) return job;
      reason = `the job's stored opts ${problem}, so BullMQ cannot schedule its next iteration`;
    }
    this.unreadable.set(jobId, reason);
    const dropped = this.createJob(jobData, jobId);
    dropped.token = token;
    this.emit('active', dropped, 'waiting');
    return dropped;
  }

  /**
   * The job a fetch under `token` could not read, its unreadable fields reset, marked to be failed;
   * throws `error` again when it was something else, or when the job cannot be found.
   */
  async unreadableFetch(error: unknown, token: string): Promise<RecoveredFetch> {
    // BullMQ 5 reads these fields in Job.fromJSON, has no backend, and its moveToActive takes a client first.
    if (!mayBeUnreadableFetch(error) || typeof this.getBackend !== 'function') throw error;
    const recovered = await recoverUnreadableFetch(this.fetchQueue(), token).catch(() => undefined);
    if (!recovered) throw error;
    this.unreadable.set(recovered.id, recovered.reason);
    return recovered;
  }

  /** Why the job `id` is failed without being read, once (see unreadableFetch). */
  takeUnreadable(id: string | undefined): string | undefined {
    if (id === undefined || this.unreadable.size === 0) return undefined;
    const reason = this.unreadable.get(id);
    this.unreadable.delete(id);
    return reason;
  }

  /** When the job `id` ended, as stored; undefined while it has not (or cannot be read). */
  async storedFinishedOn(id: string): Promise<number | undefined> {
    const client = await this.fetchQueue().client;
    const finishedOn = Number(await client.hget(this.toKey(id), 'finishedOn').catch(() => undefined));
    return finishedOn > 0 ? finishedOn : undefined;
  }

  private fetchQueue(): UnreadableFetchQueue {
    const backend = this.getBackend();
    return {
      client: backend.client as unknown as UnreadableFetchQueue['client'],
      activeKey: this.keys.active,
      jobKeyPrefix: this.toKey(''),
      getJobData: (id) => backend.getJobData(id),
    };
  }
}
