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
