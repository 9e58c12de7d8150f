import {
  AuthenticationError,
  BadRequestError,
  ForbiddenError,
  InternalServerError,
  NotFoundError,
  ServiceError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnprocessableEntityError,
  ValidationError,
} from 'nestjs-servus';
import { ServiceErrorType } from 'nestjs-servus/extend';

interface Expected {
  type: ServiceErrorType;
  defaultMessage: string;
  code: string;
  httpStatus: number;
  retryable: boolean;
}

const family: Expected[] = [
  {
    type: ServiceError,
    defaultMessage: 'An error occurred',
    code: 'bad_request',
    httpStatus: 400,
    retryable: false,
  },
  { type: BadRequestError, defaultMessage: 'Bad request', code: 'bad_request', httpStatus: 400, retryable: false },
  {
    type: AuthenticationError,
    defaultMessage: 'Authentication failed',
    code: 'unauthorized',
    httpStatus: 401,
    retryable: false,
  },
  { type: UnauthorizedError, defaultMessage: 'Unauthorized', code: 'unauthorized', httpStatus: 401, retryable: false },
  { type: ForbiddenError, defaultMessage: 'Forbidden', code: 'forbidden', httpStatus: 403, retryable: false },
  { type: NotFoundError, defaultMessage: 'Not found', code: 'not_found', httpStatus: 404, retryable: false },
  {
    type: UnprocessableEntityError,
    defaultMessage: 'Unprocessable entity',
    code: 'unprocessable_entity',
    httpStatus: 422,
    retryable: false,
  },
  {
    type: ValidationError,
    defaultMessage: 'Validation failed',
    code: 'unprocessable_entity',
    httpStatus: 422,
    retryable: false,
  },
  {
    type: InternalServerError,
    defaultMessage: 'Internal server error',
    code: 'internal_server_error',
    httpStatus: 500,
    retryable: false,
  },
  {
    type: ServiceUnavailableError,
    defaultMessage: 'Service unavailable',
    code: 'service_unavailable',
    httpStatus: 503,
    retryable: true,
  },
];

describe('the ServiceError family', () => {
  describe.each(family)('$type.name', ({ type, defaultMessage, code, httpStatus, retryable }) => {
    it(`uses "${defaultMessage}" when no message is given`, () => {
      expect(new type().message).toBe(defaultMessage);
      expect(type.defaultMessage).toBe(defaultMessage);
    });

    it('keeps the message it is given', () => {
      expect(new type('Report 42 is gone').message).toBe('Report 42 is gone');
    });

    it(`has code "${code}" and HTTP status ${httpStatus}`, () => {
      const error = new type();
      expect(error.code).toBe(code);
      expect(error.httpStatus).toBe(httpStatus);
      expect(type.code).toBe(code);
      expect(type.httpStatus).toBe(httpStatus);
    });

    it(`is ${retryable ? '' : 'not '}retryable`, () => {
      expect(new type().retryable).toBe(retryable);
      expect(type.retryable).toBe(retryable);
    });

    it('answers apiError() with { code, message }', () => {
      expect(new type('Nope').apiError()).toEqual({ code, message: 'Nope' });
      expect(new type().apiError()).toEqual({ code, message: defaultMessage });
    });

    it('is named after its class and is a real Error with a stack', () => {
      const error = new type();
      expect(error.name).toBe(type.name);
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(ServiceError);
      expect(error).toBeInstanceOf(type);
      expect(error.stack).toContain(type.name);
    });

    it('serialises to JSON with name, code, message, httpStatus and retryable', () => {
      expect(JSON.parse(JSON.stringify(new type('m')))).toEqual({
        name: type.name,
        code,
        message: 'm',
        httpStatus,
        retryable,
      });
    });
  });

  it('makes only ServiceUnavailableError retryable', () => {
    expect(family.filter((e) => new e.type().retryable).map((e) => e.type)).toEqual([ServiceUnavailableError]);
  });

  describe('instanceof chain', () => {
    it('makes UnauthorizedError an AuthenticationError', () => {
      const error = new UnauthorizedError();
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toBeInstanceOf(ServiceError);
      expect(new AuthenticationError()).not.toBeInstanceOf(UnauthorizedError);
    });

    it('makes ValidationError an UnprocessableEntityError', () => {
      const error = new ValidationError();
      expect(error).toBeInstanceOf(UnprocessableEntityError);
      expect(error).toBeInstanceOf(ServiceError);
      expect(new UnprocessableEntityError()).not.toBeInstanceOf(ValidationError);
    });

    it('keeps unrelated members of the family apart', () => {
      expect(new NotFoundError()).not.toBeInstanceOf(ForbiddenError);
      expect(new BadRequestError()).not.toBeInstanceOf(NotFoundError);
      expect(new ServiceError()).not.toBeInstanceOf(BadRequestError);
    });
  });

  describe('details and cause', () => {
    it('keeps structured details and puts them in the JSON', () => {
      const details = { fields: { email: ['must be an email'] } };
      const error = new ValidationError('Invalid arguments', { details });
      expect(error.details).toEqual(details);
      expect(error.toJSON()).toEqual({
        name: 'ValidationError',
        code: 'unprocessable_entity',
        message: 'Invalid arguments',
        httpStatus: 422,
        retryable: false,
        details,
      });
    });

    it('leaves details out of the JSON when there are none', () => {
      expect(new NotFoundError().toJSON()).not.toHaveProperty('details');
      expect(new NotFoundError().details).toBeUndefined();
    });

    it('keeps the cause as the standard Error cause', () => {
      const cause = new Error('socket hang up');
      expect(new ServiceUnavailableError('down', { cause }).cause).toBe(cause);
      expect(new ServiceUnavailableError('down')).not.toHaveProperty('cause');
    });
  });

  describe('a subclass defined by an application', () => {
    class PaymentRequiredError extends ServiceError {
      static override readonly defaultMessage: string = 'Payment required';
      static override readonly code: string = 'payment_required';
      static override readonly httpStatus: number = 402;
    }
    class GatewayTimeoutError extends ServiceUnavailableError {}
    class PermanentOutageError extends ServiceUnavailableError {
      static override readonly retryable: boolean = false;
    }

    it('reports its own statics and name', () => {
      const error = new PaymentRequiredError();
      expect(error.name).toBe('PaymentRequiredError');
      expect(error.apiError()).toEqual({ code: 'payment_required', message: 'Payment required' });
      expect(error.httpStatus).toBe(402);
      expect(error.retryable).toBe(false);
    });

    it('inherits what it does not override, retryable included', () => {
      const error = new GatewayTimeoutError();
      expect(error.name).toBe('GatewayTimeoutError');
      expect(error.code).toBe('service_unavailable');
      expect(error.httpStatus).toBe(503);
      expect(error.message).toBe('Service unavailable');
      expect(error.retryable).toBe(true);
    });

    it('may turn retryable off', () => {
      expect(new PermanentOutageError().retryable).toBe(false);
      expect(new PermanentOutageError()).toBeInstanceOf(ServiceUnavailableError);
    });
  });
});
