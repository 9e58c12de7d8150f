import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { holdsRedacted, REDACTED_WRITE_MESSAGE } from './redacted-write.hook';

// Named through bull-board's adapter: the dashboard does not depend on BullMQ's own types.
type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];
type BoardJob = NonNullable<Awaited<ReturnType<BullMQAdapter['getJob']>>>;

/**
 * A Servus queue as bull-board shows it, on Servus's own board (`forRoot`) and on the app's
 * (`forFeature`) alike: everything shown of a job or a schedule is redacted as the logs are (a
 * job's data, result and progress, its options (the idempotency key), failure reason, deferred
 * failure and stack trace, its log lines, job schedulers' templates; there is no flow view, which
 * would show raw progress), and a write that carries the redaction marker back is refused (400).
 * The refusal lives here, not only in a board hook, so it holds on a board Servus did not create.
 * Writes act on the real jobs.
 */
export class RedactingQueueAdapter extends BullMQAdapter {
  private readonly redact: (value: unknown) => unknown;

  constructor(queue: BoardQueue, options: { readOnly: boolean; redact: (value: unknown) => unknown }) {
    super(queue, { readOnlyMode: options.readOnly });
    this.redact = options.redact;
    // Data is { service, args, metadata }; the return value is the stored ServiceResponse, whose data may hold secrets too.
    this.setFormatter('data', options.redact);
    this.setFormatter('returnValue', options.redact);
    this.setFormatter('progress', options.redact);
  }

  override addJob(...args: Parameters<BullMQAdapter['addJob']>): ReturnType<BullMQAdapter['addJob']> {
    if (holdsRedacted(args[1])) return Promise.reject(redactedWriteError());
    return super.addJob(...args);
  }

  override async getJob(id: string): Promise<BoardJob | undefined> {
    const job = await super.getJob(id);
    if (!job) return undefined;
    const updateData = job.updateData.bind(job);
    job.updateData = (data) => (holdsRedacted(data) ? Promise.reject(redactedWriteError()) : updateData(data));
    return this.shown(job);
  }

  override async getJobs(...args: Parameters<BullMQAdapter['getJobs']>): Promise<BoardJob[]> {
    return (await super.getJobs(...args)).map((job) => this.shown(job));
  }

  override async getJobLogs(id: string): Promise<string[]> {
    return (await super.getJobLogs(id)).map((line) => String(this.redact(line)));
  }

  /**
   * None: Servus makes no flows, and the board's flow view (`GET .../:jobId/flow`) builds its nodes from
   * the raw jobs, progress included, past every formatter. Without a producer it answers "no flow".
   */
  override getFlowProducer(): ReturnType<BullMQAdapter['getFlowProducer']> {
    return Promise.resolve(null);
  }

  /**
   * No: a schedule's timing belongs to the code that declares it (`@Service({ schedule })`,
   * `executor.schedule`). Re-timing keeps the template, signed for every run of its scheduler, so an
   * edit (`every: 1`) would make a signed job run as often as the board says. The board answers 405.
   */
  override get supportsJobSchedulerUpdate(): boolean {
    return false;
  }

  override updateJobScheduler(): ReturnType<BullMQAdapter['updateJobScheduler']> {
    return Promise.reject(
      Object.assign(new Error("a schedule's timing is set by the code that declares it, not from the dashboard"), {
        statusCode: 405,
      }),
    );
  }

  override async getJobSchedulers(): ReturnType<BullMQAdapter['getJobSchedulers']> {
    const schedulers = await super.getJobSchedulers();
    return schedulers.map((scheduler) => ({ ...scheduler, template: this.redact(scheduler.template) as never }));
  }

  /** The job itself (retry, remove, promote act on it), whose JSON, which the board shows, is redacted. */
  private shown(job: BoardJob): BoardJob {
    const toJSON = job.toJSON.bind(job);
    const redact = this.redact;
    job.toJSON = () => {
      const json = toJSON();
      return {
        ...json,
        // Options hold the idempotency key (deduplication.id) and the caller's job id, as any value may.
        opts: redact(json.opts),
        failedReason: json.failedReason === undefined ? undefined : String(redact(json.failedReason)),
        stacktrace: (json.stacktrace ?? []).map((line) => (typeof line === 'string' ? String(redact(line)) : line)),
        deduplicationId: json.deduplicationId === undefined ? undefined : String(redact(json.deduplicationId)),
        deferredFailure: json.deferredFailure === undefined ? undefined : String(redact(json.deferredFailure)),
      } as ReturnType<typeof toJSON>;
    };
    return job;
  }
}

/** bull-board answers an error with a `statusCode` with that status and the error's message. */
function redactedWriteError(): Error {
  return Object.assign(new Error(REDACTED_WRITE_MESSAGE), { statusCode: 400 });
}
