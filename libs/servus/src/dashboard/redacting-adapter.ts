import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';

type Redact = (value: unknown) => unknown;
// Named through bull-board's adapter: the dashboard does not depend on BullMQ's own types.
type Queue = ConstructorParameters<typeof BullMQAdapter>[0];
type Job = NonNullable<Awaited<ReturnType<BullMQAdapter['getJob']>>>;

/**
 * bull-board's BullMQ adapter with everything it shows of a job or a schedule redacted as the
 * logs are: a job's data, result and progress (formatters), its failure reason and stack trace,
 * its log lines, and job schedulers' templates (their arguments). Writes see the real jobs.
 */
export class RedactingBullMQAdapter extends BullMQAdapter {
  constructor(
    queue: Queue,
    options: { readOnlyMode: boolean },
    private readonly redact: Redact,
  ) {
    super(queue, options);
    // Data is { service, args, metadata }; the return value is the stored ServiceResponse, whose data may hold secrets too.
    this.setFormatter('data', redact);
    this.setFormatter('returnValue', redact);
    this.setFormatter('progress', redact);
  }

  override async getJob(id: string): Promise<Job | undefined> {
    const job = await super.getJob(id);
    return job ? this.shown(job) : undefined;
  }

  override async getJobs(...args: Parameters<BullMQAdapter['getJobs']>): Promise<Job[]> {
    return (await super.getJobs(...args)).map((job) => this.shown(job));
  }

  override async getJobLogs(id: string): Promise<string[]> {
    return (await super.getJobLogs(id)).map((line) => String(this.redact(line)));
  }

  override async getJobSchedulers(): ReturnType<BullMQAdapter['getJobSchedulers']> {
    const schedulers = await super.getJobSchedulers();
    return schedulers.map((scheduler) => ({ ...scheduler, template: this.redact(scheduler.template) as never }));
  }

  /** The job itself (retry, remove, promote act on it), whose JSON, which the board shows, is redacted. */
  private shown(job: Job): Job {
    const toJSON = job.toJSON.bind(job);
    const redact = this.redact;
    job.toJSON = () => {
      const json = toJSON();
      return {
        ...json,
        failedReason: json.failedReason === undefined ? undefined : String(redact(json.failedReason)),
        stacktrace: (json.stacktrace ?? []).map((line) => (typeof line === 'string' ? String(redact(line)) : line)),
      } as ReturnType<typeof toJSON>;
    };
    return job;
  }
}
