import { AsyncError } from '../response/async-errors';
import { answerOf } from './bounded-lookup';
import { bounded, Lookup } from '../util/bounded';

describe('bounded', () => {
  it('answers with the value of a query that settles in time', async () => {
    await expect(bounded(async () => 7, 1000)).resolves.toEqual({ state: 'answered', value: 7 });
  });

  it('is silent at ms when the query is still running', async () => {
    const started = Date.now();
    await expect(bounded(() => new Promise(() => undefined), 30)).resolves.toEqual({ state: 'silent' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('fails with the cause of a query that rejects or throws before returning a promise', async () => {
    const cause = new Error('connection refused');
    await expect(bounded(() => Promise.reject(cause), 1000)).resolves.toEqual({ state: 'failed', cause });
    await expect(
      bounded(() => {
        throw cause;
      }, 1000),
    ).resolves.toEqual({ state: 'failed', cause });
  });
});

describe('answerOf', () => {
  const job = { jobId: 'outbox-1', queue: 'default' };

  it('returns the answer', () => {
    expect(answerOf({ state: 'answered', value: 'row' }, 'cancel', job, 500)).toBe('row');
  });

  it('throws AsyncError naming the wait when the outbox did not answer', () => {
    const silent: Lookup<string> = { state: 'silent' };
    expect(() => answerOf(silent, 'cancel', job, 500)).toThrow(
      new AsyncError('Could not cancel job outbox-1: the outbox did not answer within 500ms'),
    );
  });

  it("throws AsyncError with the database's error as its cause when the outbox could not be read", () => {
    const cause = new Error('relation "servus_outbox" does not exist');
    let thrown: unknown;
    try {
      answerOf({ state: 'failed', cause }, 'read the status of', job, 500);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AsyncError);
    expect((thrown as Error).message).toBe('Could not read the status of job outbox-1: the outbox could not be read');
    expect((thrown as Error).cause).toBe(cause);
  });
});
