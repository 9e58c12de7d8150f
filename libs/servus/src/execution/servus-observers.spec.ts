import { Logger } from '@nestjs/common';
import { ServiceDefinition } from '../service/service-definition';
import { AsyncReceipt } from './call-async-options.interface';
import {
  CallObservation,
  JobObservation,
  PostponedObservation,
  ServusObserver,
  ServusObservers,
} from './servus-observers';

const definition = { name: 'svc' } as ServiceDefinition;
const call: CallObservation = { service: 'svc', outcome: 'success', durationMs: 1 };
const job: JobObservation = { service: 'svc', queue: 'q', jobId: '1', attemptsMade: 1 };
const postponed: PostponedObservation = { service: 'svc', queue: 'q', jobId: '1', reason: 'rate_limit', delayMs: 5 };
const receipts: AsyncReceipt[] = [{ jobId: '1', queue: 'q', service: 'svc' }];

/** Each hook with what it is called with. */
const hooks: Array<[keyof ServusObserver, (observers: ServusObservers) => void, unknown[]]> = [
  ['callStarted', (o) => o.callStarted(definition, { a: 1 }), [definition, { a: 1 }]],
  ['callFinished', (o) => o.callFinished(call), [call]],
  ['enqueued', (o) => o.enqueued(receipts), [receipts]],
  ['jobRetrying', (o) => o.jobRetrying(job), [job]],
  ['jobDead', (o) => o.jobDead(job), [job]],
  ['jobPostponed', (o) => o.jobPostponed(postponed), [postponed]],
  ['lockLost', (o) => o.lockLost(job), [job]],
  ['emitted', (o) => o.emitted('report.generated', { id: 1 }), ['report.generated', { id: 1 }]],
];

describe('ServusObservers', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each(hooks)(
    '%s: every subscriber hears it, in order, with its arguments and itself as `this`',
    (hook, fire, args) => {
      const observers = new ServusObservers();
      expect(observers.has(hook)).toBe(false);
      fire(observers); // nobody listens: nothing happens
      const heard: unknown[] = [];
      const first = {
        [hook]: function (this: unknown, ...seen: unknown[]) {
          heard.push(['first', this === first, ...seen]);
        },
      };
      const second = { [hook]: (...seen: unknown[]) => heard.push(['second', ...seen]) };
      observers.add(first);
      observers.add(second);
      expect(observers.has(hook)).toBe(true);
      for (const [other] of hooks) if (other !== hook) expect(observers.has(other)).toBe(false);
      fire(observers);
      expect(heard).toEqual([
        ['first', true, ...args],
        ['second', ...args],
      ]);
    },
  );

  it('an observer with several hooks is subscribed to each; what is not a function is skipped', () => {
    const observers = new ServusObservers();
    observers.add({ callStarted: () => undefined, jobDead: () => undefined, lockLost: 'no' as never });
    expect(hooks.map(([hook]) => [hook, observers.has(hook)])).toEqual([
      ['callStarted', true],
      ['callFinished', false],
      ['enqueued', false],
      ['jobRetrying', false],
      ['jobDead', true],
      ['jobPostponed', false],
      ['lockLost', false],
      ['emitted', false],
    ]);
    // The table the pipeline reads per call says the same, and follows an unsubscribe.
    expect(observers.observed).toEqual(Object.fromEntries(hooks.map(([hook]) => [hook, observers.has(hook)])));
    const unsubscribe = observers.add({ callFinished: () => undefined });
    expect(observers.observed.callFinished).toBe(true);
    unsubscribe();
    expect(observers.observed.callFinished).toBe(false);
  });

  it('a hook that throws is logged and skipped: the next observer still hears it, nothing reaches the caller', () => {
    const observers = new ServusObservers();
    const heard: string[] = [];
    observers.add({
      callFinished: () => {
        throw new Error('metrics backend down');
      },
    });
    observers.add({
      jobDead: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw is what is tested
        throw 'plain';
      },
    });
    observers.add({
      lockLost: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a throw of undefined is what is tested
        throw undefined;
      },
    });
    observers.add({ callFinished: () => heard.push('second'), jobDead: () => heard.push('dead') });
    expect(() => observers.callFinished(call)).not.toThrow();
    expect(() => observers.jobDead(job)).not.toThrow();
    expect(() => observers.lockLost(job)).not.toThrow();
    expect(heard).toEqual(['second', 'dead']);
    expect(errors.mock.calls).toEqual([
      ['Observer callFinished threw (ignored): metrics backend down'],
      ['Observer jobDead threw (ignored): plain'],
      ['Observer lockLost threw (ignored): undefined'],
    ]);
    // Logged under the Servus context, as the pipeline's lines.
    expect((errors.mock.contexts as Array<{ context?: string }>).map((logger) => logger.context)).toEqual([
      'Servus',
      'Servus',
      'Servus',
    ]);
  });

  it('unsubscribing removes only that observer, from every hook; calling it again does nothing', () => {
    const observers = new ServusObservers();
    const heard: string[] = [];
    const a = observers.add({ callStarted: () => heard.push('a'), emitted: () => heard.push('a emitted') });
    const b = observers.add({ callStarted: () => heard.push('b') });
    const c = observers.add({ callStarted: () => heard.push('c') });
    b();
    b();
    observers.callStarted(definition, {});
    expect(heard).toEqual(['a', 'c']);
    a();
    observers.callStarted(definition, {});
    observers.emitted('e', {});
    expect(heard).toEqual(['a', 'c', 'c']);
    expect(observers.has('emitted')).toBe(false);
    c();
    expect(observers.has('callStarted')).toBe(false);
  });

  it('the same observer added twice hears twice; each unsubscribe removes one', () => {
    const observers = new ServusObservers();
    let heard = 0;
    const observer = { jobRetrying: () => heard++ };
    const first = observers.add(observer);
    observers.add(observer);
    observers.jobRetrying(job);
    expect(heard).toBe(2);
    first();
    observers.jobRetrying(job);
    expect(heard).toBe(3);
  });
});
