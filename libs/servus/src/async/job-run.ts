import { Job } from 'bullmq';
import { ServiceDefinition } from '../service/service-definition';
import { decodePayload } from './job-payload.codec';
import { FlowTicket } from './flow-control.port';

/** One attempt of a job in this process; `overrun` once its body outlives its deadline (settles when the body does). */
export interface JobRun {
  job: Job;
  call: ReturnType<typeof decodePayload>;
  definition: ServiceDefinition;
  label: string;
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
