/** Thrown (with `errors`) when several invocations of one emit failed. */
export class EventInvocationsError extends AggregateError {
  constructor(event: string, errors: unknown[]) {
    super(errors, `${errors.length} invocations of event "${event}" failed`);
    this.name = 'EventInvocationsError';
  }
}
