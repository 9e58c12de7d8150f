import { NotFoundError, ServiceError, ServiceResponse, ServiceUnavailableError, ValidationError } from 'nestjs-servus';
import { registerErrorType } from 'nestjs-servus/extend';
import { errorTypeNamed } from './error-types';

/** The rebuilt error of a serialized failure, as an async result is read back. */
function rebuilt(error: ServiceError): ServiceError | undefined {
  return ServiceResponse.fromJSON(JSON.stringify(ServiceResponse.failure(error))).error;
}

describe('registerErrorType', () => {
  it('refuses a class of its own named like a built-in, naming both, and the built-in stays', () => {
    // An application's own ValidationError / NotFoundError, as declared in a module of its own.
    const ownValidation = class ValidationError extends ServiceError {
      static override readonly code: string = 'invalid';
    };
    const ownNotFound = class NotFoundError extends ServiceUnavailableError {};

    expect(() => registerErrorType(ownValidation)).toThrow(
      'Cannot register ValidationError (extends ServiceError) as error type "ValidationError": that name is taken by ValidationError (extends UnprocessableEntityError, built in). Async results are rebuilt by name: give the class a distinct name.',
    );
    expect(() => registerErrorType(ownNotFound)).toThrow(
      /^Cannot register NotFoundError \(extends ServiceUnavailableError\) as error type "NotFoundError": that name is taken by NotFoundError \(extends ServiceError, built in\)/,
    );

    // Async results still rebuild into the built-ins.
    expect(errorTypeNamed('ValidationError')).toBe(ValidationError);
    expect(errorTypeNamed('NotFoundError')).toBe(NotFoundError);
    expect(rebuilt(new ValidationError('bad args'))?.constructor).toBe(ValidationError);
    const notFound = rebuilt(new ownNotFound('gone'));
    expect(notFound?.constructor).toBe(NotFoundError);
    expect([notFound?.code, notFound?.httpStatus, notFound?.retryable]).toEqual(['not_found', 404, false]);
  });

  it('refuses a second class under a name an application class already took', () => {
    const first = class QuotaExceededError extends ServiceError {};
    const second = class QuotaExceededError extends ServiceError {};
    registerErrorType(first);
    expect(() => registerErrorType(second)).toThrow(
      'Cannot register QuotaExceededError (extends ServiceError) as error type "QuotaExceededError": that name is taken by QuotaExceededError (extends ServiceError). Async results are rebuilt by name: give the class a distinct name.',
    );
    expect(errorTypeNamed('QuotaExceededError')).toBe(first);
    expect(() => registerErrorType(second)).toThrow(expect.objectContaining({ name: 'DuplicateErrorTypeError' }));
  });

  it('lets the same class register twice, a built-in too', () => {
    class PaymentDeclinedError extends ServiceError {}
    registerErrorType(PaymentDeclinedError);
    expect(() => registerErrorType(PaymentDeclinedError)).not.toThrow();
    expect(() => registerErrorType(NotFoundError)).not.toThrow();
    expect(() => registerErrorType(ServiceError as never)).not.toThrow();
    expect(errorTypeNamed('PaymentDeclinedError')).toBe(PaymentDeclinedError);
    expect(rebuilt(new PaymentDeclinedError('card expired'))).toBeInstanceOf(PaymentDeclinedError);
  });
});
