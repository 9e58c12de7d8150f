import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { ServiceErrorFilter } from './service-error.filter';
import { ServiceResponseInterceptor } from './service-response.interceptor';

/**
 * Servus's controller helpers, the Nest way: import it once in an HTTP app and controllers
 * may return ServiceResponses or throw ServiceErrors.
 *
 * @publicApi
 */
@Module({
  providers: [
    { provide: APP_FILTER, useClass: ServiceErrorFilter },
    { provide: APP_INTERCEPTOR, useClass: ServiceResponseInterceptor },
  ],
})
export class ServusHttpModule {}
