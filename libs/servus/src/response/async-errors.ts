/**
 * Errors of the async layer. Like Servus's `Extensions::Async::Errors` they are not
 * ServiceErrors: they are raised to the caller, never returned in a response.
 *
 * @publicApi
 */
export class AsyncError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The job could not be enqueued (Redis down, timeout, a bad option). The cause is kept. @publicApi */
export class JobEnqueueError extends AsyncError {
  constructor(
    readonly service: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not enqueue ${service}: ${reason}`, options);
  }
}

/** No registered service answers to that class or name. @publicApi */
export class ServiceNotFoundError extends AsyncError {
  constructor(
    readonly service: string,
    hint: string,
  ) {
    super(`Service ${service} is not registered: ${hint}`);
  }
}
