import { ServiceError, ServiceErrorType } from '../response/service-error';
import { FailureResponse, ServiceResponse, SuccessResponse } from '../response/service-response';

/**
 * What a `@RescueFrom` handler receives besides the error (Servus's BlockContext):
 * it answers with `ctx.success(data)` or `ctx.failure(message, Type)`.
 *
 * @publicApi
 */
export class RescueContext<TArgs = unknown> {
  constructor(
    /** The arguments of the call that failed. */
    readonly args: TArgs,
    /** The registered name of the service. */
    readonly service: string,
  ) {}

  success<T>(data: T): SuccessResponse<T> {
    return ServiceResponse.success(data);
  }

  failure(message?: string, type: ServiceErrorType = ServiceError): FailureResponse {
    return ServiceResponse.failure(new type(message));
  }
}
