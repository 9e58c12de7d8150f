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
 * The job could not be enqueued: Redis (or the outbox) did not take it, or the call was refused before anything
 * was sent. The cause is kept. @publicApi
 */
export class JobEnqueueError extends AsyncError {
  /**
   * - `unavailable`: Redis or the outbox did not take the job (down, timeout): the same call may be taken later
   *   (HTTP answers 503). The default, for an error thrown by a dispatcher of one's own.
   * - `refused`: the call's own values were refused (its arguments, context, ids or options): sending it again
   *   changes nothing (HTTP answers 422).
   * - `misconfigured`: the application cannot send it as it is set up (an undeclared queue, no outbox for a
   *   transaction, a closed transaction): a bug to fix, not the caller's (HTTP answers 500).
   */
  readonly kind: 'unavailable' | 'refused' | 'misconfigured';

  constructor(
    readonly service: string,
    reason: string,
    options?: { cause?: unknown; kind?: JobEnqueueError['kind'] },
  ) {
    super(`Could not enqueue ${service}: ${reason}`, options);
    this.kind = options?.kind ?? 'unavailable';
  }

  /** Whether the same call may be taken later (`kind` 'unavailable'). */
  get retryable(): boolean {
    return this.kind === 'unavailable';
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
      { kind: 'refused' },
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
