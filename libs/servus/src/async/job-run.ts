import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { ServiceDefinition } from '../service/service-definition';
import { decodePayload } from './job-payload.codec';
import { FlowTicket } from './flow-control.port';
import { escapeLog } from '../util/escape-log';

/** One attempt of a job in this process; `overrun` once its body outlives its deadline (settles when the body does). */
export interface JobRun {
  job: Job;
  call: ReturnType<typeof decodePayload>;
  definition: ServiceDefinition;
  /** `job 7 on default, attempt 1/3`, built when a line needs it (see jobLabel). */
  label: () => string;
  attempt: number;
  overrun?: Promise<void>;
  /** The job's flow slot while it is held (see ServusJobProcessor.releaseSlot). */
  ticket?: FlowTicket;
}

/** The messaging attributes of a job's consumer span. */
export function jobAttributes(job: Job, attempt: number): Record<string, string | number> {
  return {
    'messaging.system': 'bullmq',
    'messaging.destination.name': job.queueName,
    'messaging.message.id': job.id!,
    'servus.job.attempt': attempt,
  };
}

/**
 * `job 7 on default, attempt 1/3`: where a job's log lines come from. A job's id and stored opts are foreign data
 * (anyone who can write to Redis picks them): escaped before they reach a log line. BullMQ runs a job without
 * `attempts` (or with 0) once.
 */
export function jobLabel(job: Job, attempt: number): string {
  const stored: unknown = job.opts.attempts || 1;
  const attempts = typeof stored === 'number' ? stored : escapeLog(String(stored), 40);
  return `job ${escapeLog(job.id, 200)} on ${job.queueName}, attempt ${attempt}/${attempts}`;
}

/** The error a job fails with, without retry, for `reason`; said in the worker's log (escaped: it may carry foreign data). */
export function unrecoverable(logger: Logger, label: string, reason: string): UnrecoverableError {
  logger.error(`${label} failed without retry: ${escapeLog(reason)}`);
  return new UnrecoverableError(reason);
}
