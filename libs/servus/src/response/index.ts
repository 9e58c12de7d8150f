export * from './service-error';
export * from './http-errors';
export * from './async-errors';
export * from './service-response';
export { registerErrorType } from './error-types';
export { DuplicateErrorTypeError } from './duplicate-error-type.error';
