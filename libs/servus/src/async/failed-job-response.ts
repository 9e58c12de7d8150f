import { InternalServerError } from '../response/http-errors';
import { errorTypeNamed } from '../response/error-types';
import { FailureResponse, ServiceResponse } from '../response/service-response';
import { ServiceError } from '../response/service-error';

/** A cancelled job fails at once with this reason; status() reports it as 'cancelled'. */
export const CANCELLED_PREFIX = 'Cancelled: ';

/** Thrown for a failure response whose error is retryable, so BullMQ retries the job. */
export class RetryableFailureError extends Error {
  constructor(readonly error: ServiceError) {
    super(failureReason(error.name, error.code, error.message));
    this.name = 'RetryableFailureError';
  }
}

/**
 * How a failed job's reason is written for a ServiceError (a retryable failure in its last
 * attempt, invalid arguments, a ServiceError raised): `ValidationError (unprocessable_entity):
 * message`. Read back into that error by responseOfFailedJob.
 */
export function failureReason(name: string, code: string, message: string): string {
  return `${name} (${code}): ${message}`;
}

/**
 * The failure response of a job that failed for good: its own error when known, else a 500 in
 * plain words with the job's correlation id. An exception's text (a driver's error, an address, a
 * query) is not an answer for the client: it stays in the worker's log and the job's failedReason.
 */
export function responseOfFailedJob(reason: string, attemptsMade: number, correlationId?: unknown): FailureResponse {
  // The message is the rest of the reason, newlines included ([\s\S]* runs to the end: no `$` needed).
  const match = /^(\w+) \((\w+)\): ([\s\S]*)/.exec(reason);
  const type = match && errorTypeNamed(match[1]);
  if (type && match) return ServiceResponse.failure(new type(match[3]));
  const id =
    typeof correlationId === 'string' && correlationId ? ` (correlation id ${correlationId.slice(0, 128)})` : '';
  return ServiceResponse.failure(new InternalServerError(`The job failed after ${attemptsMade} attempt(s)${id}`));
}

/** The correlation id a job carries, if any (its data is foreign: only a string counts). */
export function correlationIdOf(data: unknown): string | undefined {
  const context = (data as { metadata?: { context?: { correlationId?: unknown } } } | null)?.metadata?.context;
  const id = context?.correlationId;
  return typeof id === 'string' ? id : undefined;
}
