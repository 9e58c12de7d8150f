import { SerializedServiceError, ServiceError, ServiceErrorType } from './service-error';
import { errorTypeNamed } from './error-types';

/** A successful outcome. @publicApi */
export interface SuccessResponse<T> {
  readonly success: true;
  readonly data: T;
  readonly error?: undefined;
  toJSON(): SerializedResponse<T>;
}

/** A business failure: an answer, not an exception. @publicApi */
export interface FailureResponse<E extends ServiceError = ServiceError> {
  readonly success: false;
  readonly data?: undefined;
  readonly error: E;
  toJSON(): SerializedResponse<never>;
}

/**
 * The outcome of a service: `if (r.success) r.data; else r.error`.
 *
 * @publicApi
 */
export type ServiceResponse<T = unknown> = SuccessResponse<T> | FailureResponse;

/** A response as JSON (an async job's return value). */
export type SerializedResponse<T = unknown> =
  { success: true; data: T } | { success: false; error: SerializedServiceError };

class Success<T> implements SuccessResponse<T> {
  readonly success = true as const;
  constructor(readonly data: T) {}
  toJSON(): SerializedResponse<T> {
    return { success: true, data: this.data };
  }
}

class Failure<E extends ServiceError> implements FailureResponse<E> {
  readonly success = false as const;
  constructor(readonly error: E) {}
  toJSON(): SerializedResponse<never> {
    return { success: false, error: this.error.toJSON() };
  }
}

function success<T>(data: T): SuccessResponse<T> {
  return new Success(data);
}

function failure<E extends ServiceError>(error: E): FailureResponse<E> {
  return new Failure(error);
}

function isResponse(value: unknown): value is ServiceResponse {
  return value instanceof Success || value instanceof Failure;
}

/**
 * Rebuilds a response from its JSON. The error's class is found by name among the
 * ServiceError family (and subclasses registered with `registerErrorType`); an unknown
 * name becomes a plain ServiceError that keeps the code, message and status.
 */
function fromJSON<T = unknown>(json: unknown): ServiceResponse<T> {
  if (typeof json === 'string') json = parseText(json);
  const value = json as Partial<SerializedResponse<T>> | null;
  // `data` may be missing: JSON.stringify drops `data: undefined` (a void service's success).
  if (value?.success === true) return success((value as { data?: T }).data as T);
  if (value?.success === false && value.error && typeof value.error === 'object') {
    return failure(rebuildError(value.error));
  }
  throw new TypeError(`Not a serialized ServiceResponse: ${JSON.stringify(json)?.slice(0, 200)}`);
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Not a serialized ServiceResponse: ${JSON.stringify(text.slice(0, 200))} is not JSON`, {
      cause: error,
    });
  }
}

function rebuildError(json: SerializedServiceError): ServiceError {
  const type: ServiceErrorType | undefined = errorTypeNamed(json.name);
  const options = json.details === undefined ? {} : { details: json.details };
  if (type) return new type(json.message, options);
  const error = new (class extends ServiceError {
    static override readonly code = json.code ?? ServiceError.code;
    static override readonly httpStatus = json.httpStatus ?? ServiceError.httpStatus;
    static override readonly retryable = json.retryable ?? false;
  })(json.message, options);
  error.name = json.name ?? ServiceError.name;
  return error;
}

/** Builders and guards for ServiceResponse. @publicApi */
export const ServiceResponse = { success, failure, isResponse, fromJSON };
