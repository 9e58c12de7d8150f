import { ArgumentsHost } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { JobEnqueueError, NotFoundError, ServiceError, ServiceUnavailableError, ValidationError } from 'nestjs-servus';
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
    'answers a JobEnqueueError as a ServiceUnavailableError with its message (adapter: %s)',
    (withAdapter) => {
      const error = new JobEnqueueError('reports.generate', 'Redis is unreachable');
      const answered = answer(error, withAdapter);
      expect(answered).toEqual({
        status: 503,
        body: {
          error: { code: 'service_unavailable', message: 'Could not enqueue reports.generate: Redis is unreachable' },
        },
      });
      expect(answered).toEqual(answer(new ServiceUnavailableError(error.message), withAdapter));
      expect(answered.body).not.toHaveProperty('error.details');
    },
  );
});
