import { Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import {
  InternalServerError,
  NotFoundError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceError,
  ServiceUnavailableError,
  ServusExecutor,
  ServusModule,
  ValidationError,
} from 'nestjs-servus';

class TimeoutError extends Error {}
class SlowQueryTimeoutError extends TimeoutError {}
class ConnectionResetError extends Error {}
class RecordInvalid extends Error {}
class CacheMiss extends Error {}
class RateLimited extends Error {}
class Unexpected extends Error {}

/** Every service here throws what it is told to: the rescue declarations are under test. */
type ThrowArgs = { throw?: unknown; value?: number };

abstract class Thrower extends ServiceBase<ThrowArgs, unknown> {
  async call(args: ThrowArgs) {
    await Promise.resolve();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- services may throw non-Error values; rescue must cope
    if (args.throw !== undefined) throw args.throw;
    return this.success({ value: args.value });
  }
}

@Service({ name: 'rescue.use' })
@RescueFrom(TimeoutError, { use: ServiceUnavailableError })
class UseForm extends Thrower {}

@Service({ name: 'rescue.array' })
@RescueFrom([TimeoutError, ConnectionResetError], { use: ServiceUnavailableError })
class ArrayForm extends Thrower {}

@Service({ name: 'rescue.handler' })
@RescueFrom(RecordInvalid, (error, ctx) => ctx.failure(`Invalid: ${error.message}`, ValidationError))
@RescueFrom(CacheMiss, (_error, ctx) => ctx.success({ value: 0, fromCache: false }))
@RescueFrom(RateLimited, (_error, ctx) => ctx.failure())
class HandlerForm extends Thrower {}

@Service({ name: 'rescue.async-handler' })
@RescueFrom(CacheMiss, async (error, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return ctx.success({ recoveredFrom: error.message });
})
@RescueFrom(RecordInvalid, async (_error, ctx) => {
  await Promise.resolve();
  return ctx.failure('Rejected later', NotFoundError);
})
class AsyncHandler extends Thrower {}

@Service({ name: 'rescue.ctx' })
@RescueFrom(CacheMiss, (_error, ctx) => ctx.success({ args: ctx.args, service: ctx.service }))
class ContextHandler extends Thrower {}

@Service({ name: 'rescue.specific-first' })
@RescueFrom(TimeoutError, { use: ServiceUnavailableError })
@RescueFrom(Error, { use: InternalServerError })
class SpecificFirst extends Thrower {}

@Service({ name: 'rescue.general-first' })
@RescueFrom(Error, { use: InternalServerError })
@RescueFrom(TimeoutError, { use: ServiceUnavailableError })
class GeneralFirst extends Thrower {}

@Service({ name: 'rescue.parent' })
@RescueFrom(Error, { use: InternalServerError })
class Parent extends Thrower {}

@Service({ name: 'rescue.child' })
@RescueFrom(TimeoutError, { use: ServiceUnavailableError })
class Child extends Parent {}

@Service({ name: 'rescue.default-use' })
@RescueFrom(RateLimited)
class DefaultUse extends Thrower {}

@Service({ name: 'rescue.bad-handler' })
@RescueFrom(CacheMiss, () => ({ success: true, data: 'looks like a response' }) as never)
@RescueFrom(RecordInvalid, async () => undefined as never)
class BadHandler extends Thrower {}

@Service({ name: 'rescue.throwing-handler' })
@RescueFrom(CacheMiss, () => {
  throw new ServiceUnavailableError('Cache cluster down');
})
class ThrowingHandler extends Thrower {}

@Module({
  providers: [
    UseForm,
    ArrayForm,
    HandlerForm,
    AsyncHandler,
    ContextHandler,
    SpecificFirst,
    GeneralFirst,
    Parent,
    Child,
    BadHandler,
    ThrowingHandler,
    DefaultUse,
  ],
})
class RescueModule {}

describe('@RescueFrom through ServusExecutor.call', () => {
  let moduleRef: TestingModule;
  let executor: ServusExecutor;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [ServusModule.forRoot({ logging: false }), RescueModule],
    }).compile();
    await moduleRef.init();
    executor = moduleRef.get(ServusExecutor);
  });

  afterAll(() => moduleRef?.close());

  describe('neither use nor handler', () => {
    it('turns the exception into a ServiceError failure "[OriginalName]: original message", as Servus does', async () => {
      const original = new RateLimited('429 from the card network');
      const response = await executor.call(DefaultUse, { throw: original });
      expect(response.success).toBe(false);
      if (response.success) return;
      expect(response.error.constructor).toBe(ServiceError);
      expect(response.error.apiError()).toEqual({
        code: 'bad_request',
        message: '[RateLimited]: 429 from the card network',
      });
      expect(response.error.retryable).toBe(false);
      expect(response.error.cause).toBe(original);
    });
  });

  describe('{ use: Type }', () => {
    it('turns the exception into a failure "[OriginalName]: original message" of the use type', async () => {
      const original = new TimeoutError('upstream took 5s');
      const response = await executor.call(UseForm, { throw: original });
      expect(response.success).toBe(false);
      if (response.success) return;
      expect(response.error).toBeInstanceOf(ServiceUnavailableError);
      expect(response.error.message).toBe('[TimeoutError]: upstream took 5s');
      expect(response.error.apiError()).toEqual({
        code: 'service_unavailable',
        message: '[TimeoutError]: upstream took 5s',
      });
      expect(response.error.retryable).toBe(true);
      expect(response.error.cause).toBe(original);
    });

    it('matches subclasses of the declared error (instanceof), naming the thrown class', async () => {
      const response = await executor.call(UseForm, { throw: new SlowQueryTimeoutError('report query') });
      expect(response.error).toBeInstanceOf(ServiceUnavailableError);
      expect(response.error?.message).toBe('[SlowQueryTimeoutError]: report query');
    });

    it('leaves successful calls alone', async () => {
      const response = await executor.call(UseForm, { value: 3 });
      expect(response).toMatchObject({ success: true, data: { value: 3 } });
    });

    it('rescues every class of the array form', async () => {
      const timeout = await executor.call(ArrayForm, { throw: new TimeoutError('t') });
      const reset = await executor.call(ArrayForm, { throw: new ConnectionResetError('ECONNRESET') });
      expect(timeout.error).toBeInstanceOf(ServiceUnavailableError);
      expect(timeout.error?.message).toBe('[TimeoutError]: t');
      expect(reset.error).toBeInstanceOf(ServiceUnavailableError);
      expect(reset.error?.message).toBe('[ConnectionResetError]: ECONNRESET');
    });
  });

  describe('a handler', () => {
    it('answers with ctx.failure(message, Type)', async () => {
      const response = await executor.call(HandlerForm, { throw: new RecordInvalid('email is taken') });
      expect(response.success).toBe(false);
      expect(response.error).toBeInstanceOf(ValidationError);
      expect(response.error?.message).toBe('Invalid: email is taken');
    });

    it('answers with ctx.success(data): the call succeeds', async () => {
      const response = await executor.call(HandlerForm, { throw: new CacheMiss('k') });
      expect(response).toMatchObject({ success: true, data: { value: 0, fromCache: false } });
    });

    it('defaults ctx.failure() to a ServiceError with its default message', async () => {
      const response = await executor.call(HandlerForm, { throw: new RateLimited('slow down') });
      expect(response.error?.constructor).toBe(ServiceError);
      expect(response.error?.message).toBe('An error occurred');
    });

    it('may be async, for success and for failure', async () => {
      const ok = await executor.call(AsyncHandler, { throw: new CacheMiss('cold start') });
      expect(ok).toMatchObject({ success: true, data: { recoveredFrom: 'cold start' } });
      const failed = await executor.call(AsyncHandler, { throw: new RecordInvalid('x') });
      expect(failed.error).toBeInstanceOf(NotFoundError);
      expect(failed.error?.message).toBe('Rejected later');
    });

    it("receives the call's arguments and the service name in ctx", async () => {
      const args = { throw: new CacheMiss('m'), value: 41 };
      const response = await executor.call(ContextHandler, args);
      expect(response.success).toBe(true);
      const data = response.data as { args: unknown; service: string };
      expect(data.args).toBe(args);
      expect(data.service).toBe('rescue.ctx');
    });

    it('that returns something other than a response makes the call reject with a TypeError naming the service', async () => {
      const lookAlike = executor.call(BadHandler, { throw: new CacheMiss('m') });
      await expect(lookAlike).rejects.toThrow(TypeError);
      await expect(executor.call(BadHandler, { throw: new CacheMiss('m') })).rejects.toThrow(/rescue\.bad-handler/);
      await expect(executor.call(BadHandler, { throw: new RecordInvalid('r') })).rejects.toThrow(
        /@RescueFrom handler of rescue\.bad-handler for RecordInvalid must return ctx\.success\(\) or ctx\.failure\(\), got undefined/,
      );
    });

    it('that throws makes the call reject with what it threw', async () => {
      await expect(executor.call(ThrowingHandler, { throw: new CacheMiss('m') })).rejects.toThrow(
        new ServiceUnavailableError('Cache cluster down'),
      );
    });
  });

  describe('order', () => {
    it('lets the top-most matching declaration win', async () => {
      const timeout = await executor.call(SpecificFirst, { throw: new TimeoutError('t') });
      expect(timeout.error).toBeInstanceOf(ServiceUnavailableError);
      const other = await executor.call(SpecificFirst, { throw: new Unexpected('u') });
      expect(other.error).toBeInstanceOf(InternalServerError);
      expect(other.error?.message).toBe('[Unexpected]: u');
    });

    it('goes by declaration order, not by how specific the error class is', async () => {
      const timeout = await executor.call(GeneralFirst, { throw: new TimeoutError('t') });
      expect(timeout.error).toBeInstanceOf(InternalServerError);
      expect(timeout.error).not.toBeInstanceOf(ServiceUnavailableError);
    });
  });

  describe('inheritance', () => {
    it("gives a subclass its parent's declarations", async () => {
      const response = await executor.call(Child, { throw: new Unexpected('boom') });
      expect(response.error).toBeInstanceOf(InternalServerError);
      expect(response.error?.message).toBe('[Unexpected]: boom');
    });

    it("tries the subclass's own declarations before inherited ones", async () => {
      const response = await executor.call(Child, { throw: new TimeoutError('t') });
      expect(response.error).toBeInstanceOf(ServiceUnavailableError);
    });

    it("does not give the parent its subclass's declarations", async () => {
      const response = await executor.call(Parent, { throw: new TimeoutError('t') });
      expect(response.error).toBeInstanceOf(InternalServerError);
    });
  });

  describe('an exception no declaration matches', () => {
    it('is rethrown as is: the same object', async () => {
      const original = new Unexpected('not declared');
      await expect(executor.call(UseForm, { throw: original })).rejects.toBe(original);
      const otherOriginal = new TimeoutError('not in handler list');
      await expect(executor.call(HandlerForm, { throw: otherOriginal })).rejects.toBe(otherOriginal);
    });

    it('includes values that are not Errors, even when Error is declared', async () => {
      await expect(executor.call(SpecificFirst, { throw: 'a string' })).rejects.toBe('a string');
    });

    it('includes ServiceErrors raised by a service that declares no matching rescue', async () => {
      const raised = new NotFoundError('gone');
      await expect(executor.call(UseForm, { throw: raised })).rejects.toBe(raised);
    });
  });

  it('refuses a declaration without error classes', () => {
    expect(() => RescueFrom([], { use: ServiceUnavailableError })).toThrow(
      new TypeError('@RescueFrom needs error classes (is one imported after use?)'),
    );
  });

  it('refuses a declaration without a use type or handler, or with a missing error class, when it is written', () => {
    expect(() => RescueFrom(Error, { use: undefined as never })).toThrow(
      '@RescueFrom needs { use: SomeServiceError }, a handler (error, ctx) => ctx.success(...) | ctx.failure(...), or neither (ServiceError)',
    );
    expect(() => RescueFrom([undefined as never], { use: ServiceUnavailableError })).toThrow(
      '@RescueFrom needs error classes',
    );
    // The import-order mistake: one class of the list is still undefined when the decorator runs.
    expect(() => RescueFrom([TimeoutError, undefined as never], { use: ServiceUnavailableError })).toThrow(
      new TypeError('@RescueFrom needs error classes (is one imported after use?)'),
    );
    expect(() => RescueFrom(Error, null as never)).toThrow(
      '@RescueFrom needs { use: SomeServiceError }, a handler (error, ctx) => ctx.success(...) | ctx.failure(...), or neither (ServiceError)',
    );
  });
});
