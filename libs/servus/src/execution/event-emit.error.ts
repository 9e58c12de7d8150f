/**
 * The service ran, but an event its outcome emits failed (an in-process invocation threw,
 * an async one could not be enqueued, or its payload was refused). `cause` is that error
 * (an EventInvocationsError when several failed). Not a ServiceError: in a worker the job
 * is retried, as for any exception.
 *
 * @publicApi
 */
export class EventEmitError extends Error {
  constructor(
    readonly service: string,
    readonly trigger: string,
    cause: unknown,
  ) {
    super(
      `${service} ran, but its '${trigger}' events failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'EventEmitError';
  }
}
