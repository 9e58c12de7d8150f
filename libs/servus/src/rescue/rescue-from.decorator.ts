import { RESCUE_FROM_METADATA } from '../servus.constants';
import { ServiceError, ServiceErrorType } from '../response/service-error';
import { ServiceResponse } from '../response/service-response';
import { RescueContext } from './rescue-context';

/** Any error class (`TypeError`, a driver's `TimeoutError`, ...). */
export type ErrorClass = abstract new (...args: never[]) => Error;

export type RescueHandler<E extends Error = Error> = (
  error: E,
  ctx: RescueContext<unknown>,
) => ServiceResponse<unknown> | Promise<ServiceResponse<unknown>>;

/** One `@RescueFrom` declaration, as stored in metadata. */
export interface RescueConfig {
  errors: readonly ErrorClass[];
  use?: ServiceErrorType;
  handler?: RescueHandler;
}

/**
 * Turns exceptions thrown by `call` into failure responses, as Servus's `rescue_from`.
 * With `{ use }` the failure is `[OriginalName]: original message` in that type; with
 * neither `use` nor a handler it is that message in a `ServiceError`; with a handler, the
 * handler's `ctx.success()` / `ctx.failure()` is the response. The top-most
 * declaration that matches wins; a subclass's own declarations come before inherited ones.
 *
 * @example
 * ＠RescueFrom([TimeoutError, ConnectionResetError], { use: ServiceUnavailableError })
 * ＠RescueFrom(RecordInvalid, (error, ctx) => ctx.failure(`Invalid: ${error.message}`, ValidationError))
 * ＠RescueFrom(CardDeclined) // -> ServiceError '[CardDeclined]: message'
 *
 * @publicApi
 */
export function RescueFrom<E extends Error>(
  errors: (abstract new (...args: never[]) => E) | readonly (abstract new (...args: never[]) => E)[],
  useOrHandler: { use: ServiceErrorType } | RescueHandler<E> = { use: ServiceError },
): ClassDecorator {
  const list: ErrorClass[] = Array.isArray(errors) ? [...(errors as readonly ErrorClass[])] : [errors as ErrorClass];
  if (list.length === 0 || list.some((type) => typeof type !== 'function'))
    throw new TypeError('@RescueFrom needs error classes (is one imported after use?)');
  if (typeof useOrHandler !== 'function' && typeof useOrHandler?.use !== 'function') {
    // An explicit `use` that is not a class is an import-order mistake, not a request for the default.
    throw new TypeError(
      '@RescueFrom needs { use: SomeServiceError }, a handler (error, ctx) => ctx.success(...) | ctx.failure(...), or neither (ServiceError)',
    );
  }
  const config: RescueConfig =
    typeof useOrHandler === 'function'
      ? { errors: list, handler: useOrHandler as RescueHandler }
      : { errors: list, use: useOrHandler.use };
  return (target) => {
    // Decorators apply bottom-up, so prepending keeps declaration order (top-most first).
    const own = (Reflect.getOwnMetadata(RESCUE_FROM_METADATA, target) as RescueConfig[] | undefined) ?? [];
    Reflect.defineMetadata(RESCUE_FROM_METADATA, [config, ...own], target);
  };
}
