/** What a ServiceError looks like on the wire (job return values, HTTP bodies). */
export interface SerializedServiceError {
  name: string;
  code: string;
  message: string;
  httpStatus: number;
  retryable: boolean;
  details?: unknown;
}

export interface ServiceErrorOptions {
  cause?: unknown;
  /** Structured detail, e.g. the failing fields of a ValidationError. Must be JSON. */
  details?: unknown;
}

/** A subclass of ServiceError, as passed to `failure(message, Type)` or `@RescueFrom(..., { use })`. */
export type ServiceErrorType = (new (message?: string, options?: ServiceErrorOptions) => ServiceError) & {
  readonly code: string;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly defaultMessage: string;
};

/**
 * The root of the error family, as Servus's `Servus::Support::Errors::ServiceError`.
 * Each subclass sets its HTTP-aligned `code`, `httpStatus` and default message as statics,
 * so the instance stays a plain Error with a few getters.
 *
 * @publicApi
 */
export class ServiceError extends Error {
  static readonly defaultMessage: string = 'An error occurred';
  static readonly code: string = 'bad_request';
  static readonly httpStatus: number = 400;
  /** A retryable failure makes an async job retry; everything else is an answer. */
  static readonly retryable: boolean = false;

  readonly details?: unknown;

  constructor(message?: string, options: ServiceErrorOptions = {}) {
    const type = new.target as unknown as ServiceErrorType;
    super(message || type.defaultMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.details !== undefined) this.details = options.details;
  }

  get code(): string {
    return (this.constructor as ServiceErrorType).code;
  }

  get httpStatus(): number {
    return (this.constructor as ServiceErrorType).httpStatus;
  }

  get retryable(): boolean {
    return (this.constructor as ServiceErrorType).retryable;
  }

  /** `{ code, message }`, the body an API answers with (Servus's `api_error`). */
  apiError(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }

  toJSON(): SerializedServiceError {
    const json: SerializedServiceError = {
      name: this.name,
      code: this.code,
      message: this.message,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
    };
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}
