import { ArgumentsHost, Catch, ExceptionFilter, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ServusContext } from '../execution/servus-context';
import { IdempotencyConflictError, JobEnqueueError } from '../response/async-errors';
import { InternalServerError, ServiceUnavailableError, UnprocessableEntityError } from '../response/http-errors';
import { ServiceError } from '../response/service-error';
import { escapeLog } from '../util/escape-log';

/** The body of an error answer: Servus's `api_error`, plus the failing fields of a ValidationError. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; correlationId?: string };
}

/** What a client is told when its work could not be queued: no driver text, no address. */
export const ENQUEUE_FAILED_MESSAGE = 'The work could not be queued right now; try again later';

/** What a client is told when its call was refused before anything was sent: no service name, no limit's key. */
export const ENQUEUE_REFUSED_MESSAGE = 'The work cannot be queued as asked';

/** What a client is told when the application cannot send the work as it is set up. */
export const ENQUEUE_BROKEN_MESSAGE = 'The work could not be queued';

/**
 * Answers a thrown ServiceError (or a failed ServiceResponse, via the interceptor) with its
 * `httpStatus` and `{ error: { code, message } }`; a ValidationError adds `details`.
 * A JobEnqueueError answers in plain words with the request's correlation id, the reason going to the log under
 * that correlation id, by its `kind`: 503 when Redis (or the outbox) did not take the job (the client may retry; an
 * error line); 422 when the call's own values were refused (a context value from a header over its limit, arguments
 * too large: retrying changes nothing; a warn line, as for arguments a contract refuses); 500 when the application
 * cannot send it as set up (an undeclared queue: an error line). An IdempotencyConflictError answers 422 naming the
 * key.
 *
 * @publicApi
 */
@Catch(ServiceError, JobEnqueueError)
export class ServiceErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Servus');

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: ServiceError | JobEnqueueError, host: ArgumentsHost): void {
    const correlationId = ServusContext.get('correlationId');
    const [status, body] = answerOf(error instanceof ServiceError ? error : this.enqueueFailure(error, correlationId));
    if (typeof correlationId === 'string' && !(error instanceof ServiceError)) body.error.correlationId = correlationId;
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) adapter.reply(response, body, status);
    else response.status(status).json(body);
  }

  private enqueueFailure(
    error: JobEnqueueError,
    correlationId: string | number | boolean | null | undefined,
  ): ServiceError {
    if (error instanceof IdempotencyConflictError) return new UnprocessableEntityError(error.message);
    const cause = error.cause instanceof Error ? ` (${error.cause.name})` : '';
    const line = escapeLog(`[correlationId=${correlationId ?? 'none'}] ${error.message}${cause}`);
    if (error.kind === 'refused') {
      this.logger.warn(line);
      return new UnprocessableEntityError(ENQUEUE_REFUSED_MESSAGE, { cause: error });
    }
    this.logger.error(line);
    return error.kind === 'misconfigured'
      ? new InternalServerError(ENQUEUE_BROKEN_MESSAGE, { cause: error })
      : new ServiceUnavailableError(ENQUEUE_FAILED_MESSAGE, { cause: error });
  }
}

function answerOf(error: ServiceError): [number, ErrorBody] {
  const body: ErrorBody = { error: error.apiError() };
  if (error.details !== undefined) body.error.details = error.details;
  return [error.httpStatus, body];
}
