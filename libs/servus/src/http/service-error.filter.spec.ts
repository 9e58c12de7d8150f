import { ArgumentsHost, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  IdempotencyConflictError,
  JobEnqueueError,
  NotFoundError,
  ServiceError,
  ServusContext,
  ValidationError,
} from 'nestjs-servus';
import { ServiceErrorFilter } from './service-error.filter';

/** What the filter answered: status and body, through the adapter when there is one, else express's response. */
function answer(error: ServiceError | JobEnqueueError, withAdapter = false): { status: number; body: unknown } {
  const sent: { status: number; body: unknown }[] = [];
  const response = {
    status: (status: number) => ({ json: (body: unknown) => sent.push({ status, body }) }),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  const adapterHost = withAdapter
    ? ({
        httpAdapter: {
          reply: (res: unknown, body: unknown, status: number) => res === response && sent.push({ status, body }),
        },
      } as unknown as HttpAdapterHost)
    : undefined;
  new ServiceErrorFilter(adapterHost).catch(error, host);
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe('ServiceErrorFilter', () => {
  it('answers a ServiceError with its status and api error, a ValidationError with its details', () => {
    expect(answer(new NotFoundError('No report 7'))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'No report 7' } },
    });
    const details = [{ path: 'email', rule: 'required', message: 'email is required' }];
    expect(answer(new ValidationError('Invalid arguments', { details }), true)).toEqual({
      status: 422,
      body: { error: { code: 'unprocessable_entity', message: 'Invalid arguments', details } },
    });
  });

  it.each([false, true])(
    'answers a JobEnqueueError with 503, plain words and the correlation id; Redis text only in the log (adapter: %s)',
    (withAdapter) => {
      const error = new JobEnqueueError(
        'reports.generate',
        'Redis did not take the job: connect ECONNREFUSED 10.0.0.7:6379',
        { kind: 'unavailable' },
      );
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const answered = ServusContext.run({ correlationId: 'req-42' }, () => answer(error, withAdapter));
        expect(answered).toEqual({
          status: 503,
          body: {
            error: {
              code: 'service_unavailable',
              message: 'The work could not be queued right now; try again later',
              correlationId: 'req-42',
            },
          },
        });
        expect(JSON.stringify(answered)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|reports\.generate/);
        expect(logged).toHaveBeenCalledWith(
          '[correlationId=req-42] Could not enqueue reports.generate: Redis did not take the job: connect ECONNREFUSED 10.0.0.7:6379',
        );
      } finally {
        logged.mockRestore();
      }
    },
  );

  it('answers a call refused before anything was sent (a header value over its limit) with 422, not 503, and logs no error', () => {
    // What callAsync throws for a context value a request set from a header (its correlation id stays).
    const error = new JobEnqueueError(
      'reports.generate',
      'context.tenantId is 5000 characters long, over the limit of 1024\n[Nest] forged',
      { kind: 'refused' },
    );
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const answered = ServusContext.run({ correlationId: 'req-43' }, () => answer(error));
      expect(answered).toEqual({
        status: 422,
        body: {
          error: {
            code: 'unprocessable_entity',
            message: 'The work cannot be queued as asked',
            correlationId: 'req-43',
          },
        },
      });
      expect(JSON.stringify(answered)).not.toMatch(/tenantId|reports\.generate/);
      expect(errors).not.toHaveBeenCalled();
      // The reason goes to the log at warn, escaped, under the correlation id.
      expect(warned).toHaveBeenCalledWith(
        '[correlationId=req-43] Could not enqueue reports.generate: context.tenantId is 5000 characters long, over the limit of 1024\\n[Nest] forged',
      );
    } finally {
      errors.mockRestore();
      warned.mockRestore();
    }
  });

  it('answers a call the application cannot send as set up (an undeclared queue) with 500 and an error line', () => {
    const error = new JobEnqueueError('reports.generate', 'queue "bulk" is not one of the module\'s queues (default)', {
      kind: 'misconfigured',
    });
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const answered = ServusContext.run({ correlationId: 'req-44' }, () => answer(error));
      expect(answered).toEqual({
        status: 500,
        body: {
          error: { code: 'internal_server_error', message: 'The work could not be queued', correlationId: 'req-44' },
        },
      });
      expect(JSON.stringify(answered)).not.toMatch(/bulk|reports\.generate/);
      expect(errors).toHaveBeenCalledWith(
        '[correlationId=req-44] Could not enqueue reports.generate: queue "bulk" is not one of the module\'s queues (default)',
      );
    } finally {
      errors.mockRestore();
    }
  });

  it("answers an error of a dispatcher of one's own, which says no kind, as Redis down: 503", () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      expect(answer(new JobEnqueueError('reports.generate', 'the broker did not answer')).status).toBe(503);
    } finally {
      errors.mockRestore();
    }
  });

  it('answers an idempotency key reused with other arguments with 422 naming the key', () => {
    expect(answer(new IdempotencyConflictError('payments.charge', 'invoice-7'))).toEqual({
      status: 422,
      body: {
        error: {
          code: 'unprocessable_entity',
          message:
            'Could not enqueue payments.charge: idempotencyKey "invoice-7" was already used with different arguments (within its idempotencyTtl)',
        },
      },
    });
  });
});
