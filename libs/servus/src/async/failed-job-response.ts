import { InternalServerError } from '../response/http-errors';
import { errorTypeNamed } from '../response/error-types';
import { FailureResponse, ServiceResponse } from '../response/service-response';

/**
 * How a failed job's reason is written by the processor for a retryable failure:
 * `ServiceUnavailableError (service_unavailable): message`. Read back into that error.
 */
export function failureReason(name: string, code: string, message: string): string {
  return `${name} (${code}): ${message}`;
}

/** The failure response of a job that failed for good: its own error when known, else a 500. */
export function responseOfFailedJob(reason: string, attemptsMade: number): FailureResponse {
  const match = /^(\w+) \((\w+)\): ([\s\S]*)$/.exec(reason);
  const type = match && errorTypeNamed(match[1]);
  if (type && match) return ServiceResponse.failure(new type(match[3]));
  return ServiceResponse.failure(new InternalServerError(`Job failed after ${attemptsMade} attempt(s): ${reason}`));
}
