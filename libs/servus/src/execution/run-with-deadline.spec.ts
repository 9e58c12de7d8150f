import { ServiceTimeoutError } from '../response/http-errors';
import { ServiceError } from '../response/service-error';
import { ServiceResponse } from '../response/service-response';
import { CallDeadlines, runWithDeadline } from './call-deadline';
import { ServiceDefinition } from '../service/service-definition';
import { CallContext } from '../service/call-context';

const never = () => new Promise<never>(() => undefined);

describe('runWithDeadline', () => {
  it('answers what the call answers when it settles in time, with a live signal and the job passed on', async () => {
    const job = { id: 'j-1' } as unknown as CallContext['job'];
    let seen: CallContext | undefined;
    const answer = await runWithDeadline({ name: 'svc', timeoutMs: 1000, context: { job } }, (context) => {
      seen = context;
      return Promise.resolve('done');
    });
    expect(answer).toBe('done');
    expect(seen!.job).toBe(job);
    expect(seen!.signal!.aborted).toBe(false);
  });

  it('rethrows what the call throws in time', async () => {
    await expect(
      runWithDeadline({ name: 'svc', timeoutMs: 1000 }, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
  });

  it('at the deadline: a ServiceTimeoutError failure naming the service and the time, and the signal aborted with it', async () => {
    let signal: AbortSignal | undefined;
    const answer = (await runWithDeadline({ name: 'reports.generate', timeoutMs: 30 }, (context) => {
      signal = context.signal;
      return never();
    })) as ServiceResponse;
    expect(answer.success).toBe(false);
    const error = (answer as { error: ServiceError }).error;
    expect(error).toBeInstanceOf(ServiceTimeoutError);
    expect(error.message).toBe('reports.generate did not finish within 30ms');
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBe(error);
  });

  it('the timeout wins over a call that rejects as soon as its signal aborts', async () => {
    const answer = (await runWithDeadline({ name: 'svc', timeoutMs: 20 }, (context) => {
      return new Promise((_resolve, reject) =>
        context.signal!.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    })) as ServiceResponse;
    expect((answer as { error: ServiceError }).error.message).toBe('svc did not finish within 20ms');
  });

  it("follows the caller's signal: already aborted, or aborted later, with the caller's reason", async () => {
    const early = new AbortController();
    early.abort('caller gone');
    let signal: AbortSignal | undefined;
    await runWithDeadline({ name: 'svc', timeoutMs: 1000, context: { signal: early.signal } }, (context) => {
      signal = context.signal;
      return Promise.resolve(null);
    });
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBe('caller gone');

    const late = new AbortController();
    const answer = runWithDeadline({ name: 'svc', timeoutMs: 1000, context: { signal: late.signal } }, (context) => {
      signal = context.signal;
      return new Promise((resolve) => context.signal!.addEventListener('abort', () => resolve('stopped')));
    });
    expect(signal!.aborted).toBe(false);
    late.abort('shutting down');
    await expect(answer).resolves.toBe('stopped');
    expect(signal!.reason).toBe('shutting down');
  });

  it("stops following the caller's signal once the call settled, and clears its timer", async () => {
    jest.useFakeTimers();
    try {
      const outer = new AbortController();
      let signal: AbortSignal | undefined;
      await runWithDeadline({ name: 'svc', timeoutMs: 1000, context: { signal: outer.signal } }, (context) => {
        signal = context.signal;
        return Promise.resolve(1);
      });
      expect(jest.getTimerCount()).toBe(0);
      outer.abort('later');
      expect(signal!.aborted).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('runWithDeadline overrun', () => {
  it('tells overrun, at the deadline only, of a promise that resolves once the late call settles (even by rejecting)', async () => {
    let settled: Promise<void> | undefined;
    let finish!: (value: unknown) => void;
    const answer = (await runWithDeadline(
      {
        name: 'svc',
        timeoutMs: 20,
        overrun: (promise) => {
          settled = promise;
        },
      },
      () => new Promise((_resolve, reject) => (finish = reject)),
    )) as ServiceResponse;
    expect(answer.success).toBe(false);
    expect(settled).toBeInstanceOf(Promise);
    let done = false;
    void settled!.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(done).toBe(false);
    finish(new Error('late'));
    await expect(settled).resolves.toBeUndefined();

    let told = false;
    await runWithDeadline({ name: 'svc', timeoutMs: 1000, overrun: () => (told = true) }, () => Promise.resolve(1));
    expect(told).toBe(false);
  });
});

describe('CallDeadlines', () => {
  const definition = (timeout?: number | string) => ({ options: { timeout } }) as unknown as ServiceDefinition;

  it("the service's own timeout, read once per service", () => {
    const deadlines = new CallDeadlines({ defaultTimeout: '1s' });
    const own = definition('2s');
    expect(deadlines.timeoutOf(own)).toBe(2000);
    own.options.timeout = '5s';
    expect(deadlines.timeoutOf(own)).toBe(2000);
    expect(deadlines.timeoutOf(definition(250))).toBe(250);
  });

  it('the module default for a service without one; 0 (none) without a default or options', () => {
    expect(new CallDeadlines({ defaultTimeout: '1.5s' }).timeoutOf(definition())).toBe(1500);
    expect(new CallDeadlines({ defaultTimeout: 300 }).timeoutOf(definition())).toBe(300);
    expect(new CallDeadlines({}).timeoutOf(definition())).toBe(0);
    expect(new CallDeadlines().timeoutOf(definition())).toBe(0);
  });

  it('refuses a default that is not a duration', () => {
    expect(() => new CallDeadlines({ defaultTimeout: 'soon' })).toThrow(
      `"soon" is not a duration: use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'`,
    );
  });
});
