import { ArgumentsHost, Catch, ExceptionFilter, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { JobEnqueueError } from '../response/async-errors';
import { ServiceUnavailableError } from '../response/http-errors';
import { ServiceError } from '../response/service-error';

/** The body of an error answer: Servus's `api_error`, plus the failing fields of a ValidationError. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Answers a thrown ServiceError (or a failed ServiceResponse, via the interceptor) with its
 * `httpStatus` and `{ error: { code, message } }`; a ValidationError adds `details`.
 * A JobEnqueueError (Redis down) answers as a ServiceUnavailableError (503): the work was not
 * accepted, the client may retry.
 *
 * @publicApi
 */
@Catch(ServiceError, JobEnqueueError)
export class ServiceErrorFilter implements ExceptionFilter {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: ServiceError | JobEnqueueError, host: ArgumentsHost): void {
    const [status, body] = answerOf(
      error instanceof ServiceError ? error : new ServiceUnavailableError(error.message, { cause: error }),
    );
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) adapter.reply(response, body, status);
    else response.status(status).json(body);
  }
}

function answerOf(error: ServiceError): [number, ErrorBody] {
  const body: ErrorBody = { error: error.apiError() };
  if (error.details !== undefined) body.error.details = error.details;
  return [error.httpStatus, body];
}
