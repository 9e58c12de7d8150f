import {
  AuthenticationError,
  BadRequestError,
  ForbiddenError,
  InternalServerError,
  NotFoundError,
  ServiceError,
  ServiceResponse,
  ServiceUnavailableError,
  UnauthorizedError,
  UnprocessableEntityError,
  ValidationError,
} from 'nestjs-servus';
import { registerErrorType, ServiceErrorType } from 'nestjs-servus/extend';

/** What a response looks like after crossing a process boundary (a BullMQ return value). */
function roundTrip<T>(response: ServiceResponse<T>): ServiceResponse<T> {
  return ServiceResponse.fromJSON<T>(JSON.parse(JSON.stringify(response)));
}

describe('ServiceResponse', () => {
  describe('success', () => {
    it('is a success carrying its data and no error', () => {
      const response: ServiceResponse<{ id: number }> = ServiceResponse.success({ id: 7 });
      expect(response.success).toBe(true);
      expect(response.error).toBeUndefined();
      if (!response.success) throw new Error('expected a success');
      expect(response.data.id).toBe(7);
    });

    it('keeps the very data object it was given', () => {
      const data = { rows: [1, 2, 3] };
      expect(ServiceResponse.success(data).data).toBe(data);
    });

    it('serialises to { success: true, data }', () => {
      expect(JSON.parse(JSON.stringify(ServiceResponse.success({ a: [1, { b: null }] })))).toEqual({
        success: true,
        data: { a: [1, { b: null }] },
      });
    });
  });

  describe('failure', () => {
    it('is a failure carrying its error and no data', () => {
      const error = new NotFoundError('No such report');
      const response: ServiceResponse = ServiceResponse.failure(error);
      expect(response.success).toBe(false);
      expect(response.data).toBeUndefined();
      if (response.success) throw new Error('expected a failure');
      expect(response.error).toBe(error);
      expect(response.error.apiError()).toEqual({ code: 'not_found', message: 'No such report' });
    });

    it('serialises the error with its name, code, status, retryable and details', () => {
      const json = JSON.parse(
        JSON.stringify(
          ServiceResponse.failure(new ServiceUnavailableError('Upstream down', { details: { upstream: 'ledger' } })),
        ),
      );
      expect(json).toEqual({
        success: false,
        error: {
          name: 'ServiceUnavailableError',
          code: 'service_unavailable',
          message: 'Upstream down',
          httpStatus: 503,
          retryable: true,
          details: { upstream: 'ledger' },
        },
      });
    });
  });

  describe('isResponse', () => {
    it('recognises responses built by success() and failure()', () => {
      expect(ServiceResponse.isResponse(ServiceResponse.success(1))).toBe(true);
      expect(ServiceResponse.isResponse(ServiceResponse.failure(new ServiceError()))).toBe(true);
    });

    it('rejects look-alikes and other values', () => {
      expect(ServiceResponse.isResponse({ success: true, data: 1 })).toBe(false);
      expect(ServiceResponse.isResponse({ success: false, error: new ServiceError() })).toBe(false);
      expect(ServiceResponse.isResponse(null)).toBe(false);
      expect(ServiceResponse.isResponse(undefined)).toBe(false);
      expect(ServiceResponse.isResponse('success')).toBe(false);
    });
  });

  describe('fromJSON', () => {
    it('rebuilds a success with its data', () => {
      const rebuilt = roundTrip(ServiceResponse.success({ reportId: 'r-1', totals: [1.5, 2], nested: { ok: true } }));
      expect(ServiceResponse.isResponse(rebuilt)).toBe(true);
      expect(rebuilt.success).toBe(true);
      expect(rebuilt.data).toEqual({ reportId: 'r-1', totals: [1.5, 2], nested: { ok: true } });
    });

    it('rebuilds a success whose data is null, a primitive or undefined', () => {
      expect(roundTrip(ServiceResponse.success(null)).data).toBeNull();
      expect(roundTrip(ServiceResponse.success(0)).data).toBe(0);
      expect(roundTrip(ServiceResponse.success('')).data).toBe('');
      // JSON drops `data: undefined`: a void service's success must still come back as a success.
      const rebuilt = roundTrip(ServiceResponse.success(undefined));
      expect(rebuilt.success).toBe(true);
      expect(rebuilt.data).toBeUndefined();
    });

    it('accepts the JSON text as well as the parsed value', () => {
      const rebuilt = ServiceResponse.fromJSON(
        JSON.stringify(ServiceResponse.failure(new ForbiddenError('Not yours'))),
      );
      expect(rebuilt.error).toBeInstanceOf(ForbiddenError);
      expect(rebuilt.error?.message).toBe('Not yours');
    });

    const family: ServiceErrorType[] = [
      ServiceError,
      BadRequestError,
      AuthenticationError,
      UnauthorizedError,
      ForbiddenError,
      NotFoundError,
      UnprocessableEntityError,
      ValidationError,
      InternalServerError,
      ServiceUnavailableError,
    ];

    it.each(family.map((type) => [type.name, type] as const))(
      'rebuilds a %s failure as the same class, with message and details',
      (_name, type) => {
        const details = { fields: ['from'], attempt: 2 };
        const rebuilt = roundTrip(ServiceResponse.failure(new type('Something specific', { details })));
        expect(rebuilt.success).toBe(false);
        if (rebuilt.success) return;
        expect(rebuilt.error.constructor).toBe(type);
        expect(rebuilt.error).toBeInstanceOf(type);
        expect(rebuilt.error.name).toBe(type.name);
        expect(rebuilt.error.message).toBe('Something specific');
        expect(rebuilt.error.details).toEqual(details);
        expect(rebuilt.error.code).toBe(type.code);
        expect(rebuilt.error.httpStatus).toBe(type.httpStatus);
        expect(rebuilt.error.retryable).toBe(type.retryable);
      },
    );

    it('keeps the instanceof chain of a rebuilt error (UnauthorizedError is an AuthenticationError)', () => {
      const rebuilt = roundTrip(ServiceResponse.failure(new UnauthorizedError()));
      expect(rebuilt.error).toBeInstanceOf(AuthenticationError);
      expect(rebuilt.error?.message).toBe('Unauthorized');
    });

    it('rebuilds an unknown error name as a ServiceError that keeps name, code, status, message and retryable', () => {
      const rebuilt = ServiceResponse.fromJSON({
        success: false,
        error: {
          name: 'QuotaExceededError',
          code: 'quota_exceeded',
          message: 'Monthly quota used up',
          httpStatus: 429,
          retryable: true,
          details: { limit: 100 },
        },
      });
      expect(rebuilt.success).toBe(false);
      if (rebuilt.success) return;
      expect(rebuilt.error).toBeInstanceOf(ServiceError);
      expect(rebuilt.error.name).toBe('QuotaExceededError');
      expect(rebuilt.error.code).toBe('quota_exceeded');
      expect(rebuilt.error.httpStatus).toBe(429);
      expect(rebuilt.error.retryable).toBe(true);
      expect(rebuilt.error.message).toBe('Monthly quota used up');
      expect(rebuilt.error.details).toEqual({ limit: 100 });
      expect(rebuilt.error.apiError()).toEqual({ code: 'quota_exceeded', message: 'Monthly quota used up' });
      // ... and it serialises back to what it was.
      expect(rebuilt.toJSON()).toEqual({
        success: false,
        error: {
          name: 'QuotaExceededError',
          code: 'quota_exceeded',
          message: 'Monthly quota used up',
          httpStatus: 429,
          retryable: true,
          details: { limit: 100 },
        },
      });
    });

    it('rebuilds an unknown error without retryable as not retryable', () => {
      const rebuilt = ServiceResponse.fromJSON({
        success: false,
        error: { name: 'QuotaExceededError', code: 'quota_exceeded', message: 'm', httpStatus: 429 },
      });
      expect(rebuilt.error?.retryable).toBe(false);
    });

    it('does not let one unknown error type leak its code into another', () => {
      const a = ServiceResponse.fromJSON({
        success: false,
        error: { name: 'A', code: 'a', message: 'a', httpStatus: 418, retryable: false },
      });
      const b = ServiceResponse.fromJSON({
        success: false,
        error: { name: 'B', code: 'b', message: 'b', httpStatus: 409, retryable: true },
      });
      expect([a.error?.code, a.error?.httpStatus, a.error?.retryable]).toEqual(['a', 418, false]);
      expect([b.error?.code, b.error?.httpStatus, b.error?.retryable]).toEqual(['b', 409, true]);
    });

    it('makes a custom subclass rebuildable once it is registered with registerErrorType', () => {
      class PaymentDeclinedError extends ServiceError {
        static override readonly defaultMessage: string = 'Payment declined';
        static override readonly code: string = 'payment_declined';
        static override readonly httpStatus: number = 402;
      }
      const json = JSON.stringify(
        ServiceResponse.failure(new PaymentDeclinedError('Card expired', { details: { last4: '4242' } })),
      );

      const before = ServiceResponse.fromJSON(json);
      expect(before.error).not.toBeInstanceOf(PaymentDeclinedError);
      expect(before.error?.name).toBe('PaymentDeclinedError');

      registerErrorType(PaymentDeclinedError);
      const after = ServiceResponse.fromJSON(json);
      expect(after.error).toBeInstanceOf(PaymentDeclinedError);
      expect(after.error?.constructor).toBe(PaymentDeclinedError);
      expect(after.error?.message).toBe('Card expired');
      expect(after.error?.details).toEqual({ last4: '4242' });
      expect(after.error?.apiError()).toEqual({ code: 'payment_declined', message: 'Card expired' });
    });

    it.each<[string, unknown, string]>([
      ['null', null, 'null'],
      ['undefined', undefined, 'undefined'],
      ['a number', 42, '42'],
      ['an array', [1, 2], '[1,2]'],
      ['an empty object', {}, '{}'],
      ['a non-boolean success', { success: 'true', data: 1 }, '{"success":"true","data":1}'],
      ['a failure without an error', { success: false }, '{"success":false}'],
      ['a failure whose error is null', { success: false, error: null }, '{"success":false,"error":null}'],
      ['a failure whose error is a string', { success: false, error: 'boom' }, '{"success":false,"error":"boom"}'],
      ['JSON text of a non-response', '{"hello":"world"}', '{"hello":"world"}'],
      ['text that is not JSON', 'not json at all', '"not json at all" is not JSON'],
      ['a long value, cut at 200 characters', { s: 'x'.repeat(300) }, `{"s":"${'x'.repeat(194)}`],
      ['long text that is not JSON, cut at 200 characters', 'y'.repeat(300), `"${'y'.repeat(200)}" is not JSON`],
    ])('throws a TypeError that shows %s', (_label, garbage, shown) => {
      let error: unknown;
      try {
        ServiceResponse.fromJSON(garbage);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(`Not a serialized ServiceResponse: ${shown}`);
    });

    it('keeps the parse error as the cause of text that is not JSON', () => {
      let error: unknown;
      try {
        ServiceResponse.fromJSON('{');
      } catch (e) {
        error = e;
      }
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    });

    it('says what it was given in the TypeError', () => {
      expect(() => ServiceResponse.fromJSON({ hello: 'world' })).toThrow(
        /Not a serialized ServiceResponse: \{"hello":"world"\}/,
      );
    });
  });
});
