import { Type } from '@nestjs/common';
import { INVOKE_METADATA } from '../servus.constants';
import { CallAsyncOptions } from '../execution/call-async-options.interface';
import { ArgsOf } from '../service/service-base';

// `any`: a user's unannotated lambda reads fields of its parameters (a `never` or `unknown` would refuse them).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface InvokeOptions<P = any> extends CallAsyncOptions {
  /** Through the queue (`callAsync`) instead of in-process. Default false. */
  async?: boolean;
  /** Runs only when this returns true for the payload. */
  if?: (payload: P) => boolean;
  /** Skipped when this returns true for the payload. */
  unless?: (payload: P) => boolean;
}

export interface InvokeMetadata {
  target: Type;
  options: InvokeOptions;
}

/**
 * Marks a method of an `@EventHandler` that maps the event's payload to `target`'s
 * arguments (typed by the target); the target is then called, in-process or async.
 * Invocations run in declaration order.
 *
 * @publicApi
 */
export function Invoke<S>(
  target: Type<S>,
  options: InvokeOptions = {},
): <M extends (payload: never) => ArgsOf<S> | Promise<ArgsOf<S>>>(
  proto: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  return (_proto, _key, descriptor) => {
    if (typeof target !== 'function') throw new TypeError('@Invoke needs a service class (is it imported before use?)');
    Reflect.defineMetadata(INVOKE_METADATA, { target, options } satisfies InvokeMetadata, descriptor.value!);
  };
}

/** The `@Invoke` declaration of a method, if it has one. */
export function invokeOf(method: unknown): InvokeMetadata | undefined {
  return typeof method === 'function'
    ? (Reflect.getMetadata(INVOKE_METADATA, method) as InvokeMetadata | undefined)
    : undefined;
}
