import { ServiceError, ServiceErrorType } from '../response/service-error';
import { FailureResponse, ServiceResponse, SuccessResponse } from '../response/service-response';
import { CallContext } from './call-context';

/**
 * The base class of every service. One instance serves all calls (a DI singleton), so a
 * service keeps per-call state in locals, never in fields.
 *
 * @typeParam TArgs what `call` receives
 * @typeParam TData the data of a success
 * @publicApi
 */
export abstract class ServiceBase<TArgs = unknown, TData = unknown> {
  /**
   * The business operation. Return `this.success(data)` or `this.failure(message, Type)`.
   * `context` carries the job and a cancellation signal when it runs in a worker.
   */
  abstract call(args: TArgs, context?: CallContext): Promise<ServiceResponse<TData>> | ServiceResponse<TData>;

  protected success(data: TData): SuccessResponse<TData> {
    return ServiceResponse.success(data);
  }

  /** A business failure. Type defaults to ServiceError (400); message to the type's default. */
  protected failure<E extends ServiceError = ServiceError>(
    message?: string,
    type: ServiceErrorType = ServiceError,
  ): FailureResponse<E> {
    return ServiceResponse.failure(new type(message) as E);
  }

  /**
   * Aborts the call with an exception (Servus's `error!`): the pipeline logs it, emits the
   * service's 'error' events, and rethrows it to the caller.
   */
  protected raise(message?: string, type: ServiceErrorType = ServiceError): never {
    throw new type(message);
  }
}

/** Any service, whatever its arguments and data (`call` is a method, so its parameter is checked bivariantly). */
export type AnyService = ServiceBase<never, unknown>;

/** The arguments type of a service class's `call`. */
export type ArgsOf<S> = 0 extends 1 & S
  ? // `any` in, `any` out: a service typed `any` stays callable with anything.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    any
  : S extends { call(args: infer A, ...rest: never[]): unknown }
    ? A
    : never;

/** The success data type of a service class. */
export type DataOf<S> = S extends ServiceBase<never, infer D> ? D : never;
