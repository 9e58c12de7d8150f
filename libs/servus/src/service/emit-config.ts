/** When a service's event fires: after a success, a failure response, or an exception. */
export type EmitTrigger = 'success' | 'failure' | 'error';

/**
 * The payload of an event: a function of the outcome (the response; for 'error', the
 * thrown error) and the call's arguments, or the name of a method of the service.
 */
// `any`: a user's unannotated lambda reads fields of its parameters (a `never` or `unknown` would refuse them).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EmitPayload = ((outcome: any, args: any) => unknown) | string;

export interface EmitsOptions {
  on: EmitTrigger;
  payload?: EmitPayload;
}

/** One `@Emits` declaration, as stored. */
export interface EmitConfig {
  event: string;
  on: EmitTrigger;
  payload?: EmitPayload;
}
