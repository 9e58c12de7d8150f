import { Job, JobJson, Processor, Worker, WorkerOptions } from 'bullmq';
import { StoredTextSize, storedTextSize } from './payload-limits';

/**
 * A Job built by a MeasuringWorker: it keeps the size of its data's text as read from Redis,
 * so that the size limit is checked without serialising the parsed data again.
 */
export class MeasuredJob extends Job {
  /** The stored data text's size; undefined when the job was not built by a MeasuringWorker. */
  storedSize?: StoredTextSize;

  static override fromJSON<T = unknown, R = unknown, N extends string = string>(
    queue: Parameters<typeof Job.fromJSON>[0],
    json: JobJson,
    jobId?: string,
  ): Job<T, R, N> {
    const job = super.fromJSON<T, R, N>(queue, json, jobId);
    if (queue instanceof MeasuringWorker)
      // The text Job.fromJSON parsed ('{}' stands for missing data).
      (job as MeasuredJob).storedSize = storedTextSize(json.data || '{}', queue.maxPayloadBytes);
    return job;
  }
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
  }

  protected override get Job(): typeof Job {
    // Same constructor and statics as Job; only fromJSON differs (its generics are not the point here).
    return MeasuredJob as unknown as typeof Job;
  }
}
