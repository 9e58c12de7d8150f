import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { holdsRedacted, REDACTED_WRITE_MESSAGE } from './redacted-write.hook';

type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];
type BoardJob = NonNullable<Awaited<ReturnType<BullMQAdapter['getJob']>>>;

/**
 * A Servus queue as bull-board shows it: job data, results and progress redacted as in the logs,
 * and a write that carries the redaction marker back refused (400). The refusal lives in the
 * adapter, not only in a board hook, so it holds on a board Servus did not create.
 */
export class RedactingQueueAdapter extends BullMQAdapter {
  constructor(queue: BoardQueue, options: { readOnly: boolean; redact: (value: unknown) => unknown }) {
    super(queue, { readOnlyMode: options.readOnly });
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
    if (job) {
      const updateData = job.updateData.bind(job);
      job.updateData = (data) => (holdsRedacted(data) ? Promise.reject(redactedWriteError()) : updateData(data));
    }
    return job;
  }
}

/** bull-board answers an error with a `statusCode` with that status and the error's message. */
function redactedWriteError(): Error {
  return Object.assign(new Error(REDACTED_WRITE_MESSAGE), { statusCode: 400 });
}
