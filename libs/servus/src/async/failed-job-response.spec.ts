import { InternalServerError, NotFoundError, ServiceError, ValidationError } from 'nestjs-servus';
import {
  CANCELLED_PREFIX,
  correlationIdOf,
  failureReason,
  responseOfFailedJob,
  RetryableFailureError,
} from 'nestjs-servus/async/failed-job-response';

describe('failed job reasons', () => {
  it('writes a ServiceError as "Name (code): message"', () => {
    expect(failureReason('ValidationError', 'unprocessable_entity', 'bad')).toBe(
      'ValidationError (unprocessable_entity): bad',
    );
  });

  it('gives a retryable failure that reason as its message and its own name', () => {
    const error = new NotFoundError('gone');
    const retryable = new RetryableFailureError(error);
    expect(retryable.message).toBe('NotFoundError (not_found): gone');
    expect(retryable.name).toBe('RetryableFailureError');
    expect(retryable.error).toBe(error);
  });

  it('marks a cancelled job with the prefix status() reads', () => {
    expect(CANCELLED_PREFIX).toBe('Cancelled: ');
  });

  it.each<[string, string, typeof ServiceError, string]>([
    ['a known error type', 'NotFoundError (not_found): gone', NotFoundError, 'gone'],
    ['a multi-line message', 'ValidationError (unprocessable_entity): a\nb', ValidationError, 'a\nb'],
    ['an empty message (the default message)', 'ServiceError (bad_request): ', ServiceError, 'An error occurred'],
    ['a message with parentheses', 'NotFoundError (not_found): (x): y', NotFoundError, '(x): y'],
  ])('reads back %s into that error', (_label, reason, type, message) => {
    const response = responseOfFailedJob(reason, 3);
    expect(response.success).toBe(false);
    expect(response.error).toBeInstanceOf(type);
    expect(response.error.constructor).toBe(type);
    expect(response.error.message).toBe(message);
  });

  it.each([
    ['a plain crash', 'boom'],
    ['an unknown error type', 'MadeUpError (made_up): boom'],
    ['text before the name', 'x NotFoundError (not_found): gone'],
    ['no space before the code', 'NotFoundError(not_found): gone'],
    ['no colon after the code', 'NotFoundError (not_found) gone'],
    ['a name that is not a word', 'Not-Found (not_found): gone'],
    ['a code that is not a word', 'NotFoundError (not-found): gone'],
  ])('turns %s into a 500 naming the attempts, not the reason', (_label, reason) => {
    const response = responseOfFailedJob(reason, 2);
    expect(response.error).toBeInstanceOf(InternalServerError);
    expect(response.error.message).toBe('The job failed after 2 attempt(s)');
  });

  it('names the correlation id of a crashed job when there is one, cut at 128 characters', () => {
    expect(responseOfFailedJob('boom', 1, 'c-1').error.message).toBe(
      'The job failed after 1 attempt(s) (correlation id c-1)',
    );
    expect(responseOfFailedJob('boom', 1, 'x'.repeat(200)).error.message).toBe(
      `The job failed after 1 attempt(s) (correlation id ${'x'.repeat(128)})`,
    );
    expect(responseOfFailedJob('boom', 1, '').error.message).toBe('The job failed after 1 attempt(s)');
    expect(responseOfFailedJob('boom', 1, 42).error.message).toBe('The job failed after 1 attempt(s)');
  });

  it.each<[string, unknown, string | undefined]>([
    ['a job with a correlation id', { metadata: { context: { correlationId: 'c-1' } } }, 'c-1'],
    ['an empty correlation id', { metadata: { context: { correlationId: '' } } }, ''],
    ['a number', { metadata: { context: { correlationId: 7 } } }, undefined],
    ['an object', { metadata: { context: { correlationId: { id: 'c' } } } }, undefined],
    ['a context without one', { metadata: { context: { tenant: 't' } } }, undefined],
    ['no context', { metadata: { v: 1 } }, undefined],
    ['no metadata', { service: 's', args: {} }, undefined],
    ['null data', null, undefined],
    ['undefined data', undefined, undefined],
    ['a string', 'data', undefined],
  ])("reads the correlation id of %s only when it is a string (the job's data is foreign)", (_label, data, id) => {
    expect(correlationIdOf(data)).toBe(id);
  });
});
