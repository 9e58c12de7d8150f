import { AsyncError, JobEnqueueError, ServiceNotFoundError } from 'nestjs-servus';

describe('async errors', () => {
  it('name the service and the reason, under their own class name', () => {
    const cause = new TypeError('bad option');
    const enqueue = new JobEnqueueError('reports.generate', 'queue "x" is unknown', { cause });
    expect(enqueue.message).toBe('Could not enqueue reports.generate: queue "x" is unknown');
    expect(enqueue.name).toBe('JobEnqueueError');
    expect(enqueue.service).toBe('reports.generate');
    expect(enqueue.cause).toBe(cause);
    expect(enqueue).toBeInstanceOf(AsyncError);

    const missing = new ServiceNotFoundError('reports.nope', 'is its module imported?');
    expect(missing.message).toBe('Service reports.nope is not registered: is its module imported?');
    expect(missing.name).toBe('ServiceNotFoundError');
    expect(missing.service).toBe('reports.nope');

    const plain = new AsyncError('redis is down', { cause });
    expect([plain.name, plain.message, plain.cause]).toEqual(['AsyncError', 'redis is down', cause]);
  });
});
