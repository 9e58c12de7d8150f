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

/**
 * The job could not be enqueued: Redis (or the outbox) did not take it (down, timeout), or the call was refused
 * before anything was sent (its arguments, context, options or queue). The cause is kept. @publicApi
 */
export class JobEnqueueError extends AsyncError {
  /**
   * true: Redis or the outbox did not take the job, and the same call may be taken later (HTTP answers 503);
   * false: the call itself was refused, and sending it again changes nothing (HTTP answers 422).
   */
  readonly retryable: boolean;

  constructor(
    readonly service: string,
    reason: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`Could not enqueue ${service}: ${reason}`, options);
    this.retryable = options?.retryable ?? false;
  }
}

/**
 * An `idempotencyKey` came back with other arguments than the call that first used it, within
 * its TTL: refused (answered 422 over HTTP), never given the first call's receipt. @publicApi
 */
export class IdempotencyConflictError extends JobEnqueueError {
  constructor(
    service: string,
    readonly idempotencyKey: string,
  ) {
    super(
      service,
      `idempotencyKey ${JSON.stringify(idempotencyKey)} was already used with different arguments (within its idempotencyTtl)`,
    );
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
