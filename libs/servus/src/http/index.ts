export { ServiceErrorFilter, ErrorBody } from './service-error.filter';
export { ServiceResponseInterceptor } from './service-response.interceptor';
export { ServusHttpModule } from './servus-http.module';
export { servusContextMiddleware, ServusContextMiddlewareOptions } from './servus-context.middleware';
