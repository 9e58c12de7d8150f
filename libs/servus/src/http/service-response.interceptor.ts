import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { map, Observable } from 'rxjs';
import { ServiceResponse } from '../response/service-response';

/**
 * Lets a controller return a ServiceResponse as it is: a success answers its data, a
 * failure is thrown as its error for ServiceErrorFilter to answer. Other values pass.
 *
 * @publicApi
 */
@Injectable()
export class ServiceResponseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!ServiceResponse.isResponse(value)) return value;
        if (value.success) return value.data;
        throw value.error;
      }),
    );
  }
}
