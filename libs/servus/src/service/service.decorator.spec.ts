import { NotFoundError, Service, ServiceBase, ServiceError } from 'nestjs-servus';
import { SERVICE_METADATA } from '../servus.constants';

describe('@Service', () => {
  it('makes the class injectable and stores a copy of its options', () => {
    const options = { name: 'billing.send-invoice', queue: 'critical', timeout: '5s' };
    @Service(options)
    class SendInvoice extends ServiceBase {
      call() {
        return this.success(null);
      }
    }
    const stored: unknown = Reflect.getOwnMetadata(SERVICE_METADATA, SendInvoice);
    expect(stored).toEqual(options);
    expect(stored).not.toBe(options);
    expect(Reflect.getOwnMetadata('__injectable__', SendInvoice)).toBe(true);
  });

  it('stores empty options when given none', () => {
    @Service()
    class Noop extends ServiceBase {
      call() {
        return this.success(null);
      }
    }
    expect(Reflect.getOwnMetadata(SERVICE_METADATA, Noop)).toEqual({});
  });

  it.each([100, 1, '5s', '1.5m', '250ms'])('accepts the positive timeout %p', (timeout) => {
    expect(() => Service({ timeout })).not.toThrow();
  });

  // A mistyped deadline fails where it is written: the message names the decorator and the value.
  it.each([
    [0, '@Service({ timeout }): 0 is not a positive duration'],
    ['0s', '@Service({ timeout }): 0s is not a positive duration'],
    ['0ms', '@Service({ timeout }): 0ms is not a positive duration'],
    [
      -1,
      "@Service({ timeout }): -1 is not a duration: use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'",
    ],
    [
      '5 minutes',
      `@Service({ timeout }): "5 minutes" is not a duration: use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'`,
    ],
  ])('refuses the timeout %p with a TypeError', (timeout, message) => {
    expect(() => Service({ timeout })).toThrow(TypeError);
    expect(() => Service({ timeout })).toThrow(new TypeError(message));
  });
});

describe('ServiceBase helpers', () => {
  class Helpers extends ServiceBase<{ how: string }, number> {
    call(args: { how: string }) {
      if (args.how === 'fail') return this.failure();
      if (args.how === 'fail-typed') return this.failure('no such invoice', NotFoundError);
      if (args.how === 'raise') return this.raise();
      if (args.how === 'raise-typed') return this.raise('gone', NotFoundError);
      return this.success(42);
    }
  }
  const service = new Helpers();

  it('success carries the data', () => {
    expect(service.call({ how: 'ok' })).toMatchObject({ success: true, data: 42 });
  });

  it('failure defaults to a ServiceError with its default message', () => {
    const response = service.call({ how: 'fail' });
    expect(response.success).toBe(false);
    const error = (response as { error: ServiceError }).error;
    expect(error.constructor).toBe(ServiceError);
    expect(error.message).toBe('An error occurred');
  });

  it('failure takes a message and an error type', () => {
    const error = (service.call({ how: 'fail-typed' }) as { error: ServiceError }).error;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('no such invoice');
  });

  it('raise throws a ServiceError by default, or the given type with the message', () => {
    expect(() => service.call({ how: 'raise' })).toThrow(new ServiceError('An error occurred'));
    expect(() => service.call({ how: 'raise' })).toThrow(expect.objectContaining({ constructor: ServiceError }));
    expect(() => service.call({ how: 'raise-typed' })).toThrow(NotFoundError);
    expect(() => service.call({ how: 'raise-typed' })).toThrow('gone');
  });
});
