import { ServiceError } from './service-error';

/** @publicApi 400 */
export class BadRequestError extends ServiceError {
  static override readonly defaultMessage: string = 'Bad request';
}

/** @publicApi 401, code `unauthorized` */
export class AuthenticationError extends ServiceError {
  static override readonly defaultMessage: string = 'Authentication failed';
  static override readonly code: string = 'unauthorized';
  static override readonly httpStatus: number = 401;
}

/** @publicApi 401 */
export class UnauthorizedError extends AuthenticationError {
  static override readonly defaultMessage: string = 'Unauthorized';
}

/** @publicApi 403 */
export class ForbiddenError extends ServiceError {
  static override readonly defaultMessage: string = 'Forbidden';
  static override readonly code: string = 'forbidden';
  static override readonly httpStatus: number = 403;
}

/** @publicApi 404 */
export class NotFoundError extends ServiceError {
  static override readonly defaultMessage: string = 'Not found';
  static override readonly code: string = 'not_found';
  static override readonly httpStatus: number = 404;
}

/** @publicApi 422 */
export class UnprocessableEntityError extends ServiceError {
  static override readonly defaultMessage: string = 'Unprocessable entity';
  static override readonly code: string = 'unprocessable_entity';
  static override readonly httpStatus: number = 422;
}

/** @publicApi 422: arguments or result data that break the service's contract. */
export class ValidationError extends UnprocessableEntityError {
  static override readonly defaultMessage: string = 'Validation failed';
}

/** @publicApi 500 */
export class InternalServerError extends ServiceError {
  static override readonly defaultMessage: string = 'Internal server error';
  static override readonly code: string = 'internal_server_error';
  static override readonly httpStatus: number = 500;
}

/** @publicApi 503, the one retryable error: what `@RescueFrom(Transient, { use: ServiceUnavailableError })` is for. */
export class ServiceUnavailableError extends ServiceError {
  static override readonly defaultMessage: string = 'Service unavailable';
  static override readonly code: string = 'service_unavailable';
  static override readonly httpStatus: number = 503;
  static override readonly retryable: boolean = true;
}

/**
 * @publicApi 504, code `timeout`: the service did not finish within its `timeout` (or the module's
 * `defaultTimeout`). A ServiceUnavailableError, so retryable: a worker retries the job per `attempts`.
 */
export class ServiceTimeoutError extends ServiceUnavailableError {
  static override readonly defaultMessage: string = 'The service did not finish in time';
  static override readonly code: string = 'timeout';
  static override readonly httpStatus: number = 504;
}
