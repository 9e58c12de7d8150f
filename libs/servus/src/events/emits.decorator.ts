import { EMITS_METADATA } from '../servus.constants';

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

/**
 * Declares an event the service emits after a call (Servus's `emits`). Repeatable.
 * Default payload: the data on 'success', the error on 'failure' and 'error'.
 * 'error' fires when the service raises or throws, before the exception propagates.
 *
 * @example
 * ＠Emits('report.generated', { on: 'success' })
 * ＠Emits('report.failed', { on: 'failure', payload: (response, args) => ({ userId: args.userId, code: response.error.code }) })
 *
 * @publicApi
 */
export function Emits(event: string, options: EmitsOptions): ClassDecorator {
  if (!event) throw new TypeError('@Emits needs an event name');
  if (!['success', 'failure', 'error'].includes(options?.on)) {
    throw new TypeError(
      `@Emits('${event}'): 'on' must be 'success', 'failure' or 'error', got ${JSON.stringify(options?.on)}`,
    );
  }
  const config: EmitConfig = { event, on: options.on, payload: options.payload };
  return (target) => {
    // Decorators apply bottom-up: prepend to keep declaration order.
    const own = (Reflect.getOwnMetadata(EMITS_METADATA, target) as EmitConfig[] | undefined) ?? [];
    Reflect.defineMetadata(EMITS_METADATA, [config, ...own], target);
  };
}
