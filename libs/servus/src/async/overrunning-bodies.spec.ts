import { Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CallContext, Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { ServusTestingModule, ServusTestQueue } from 'nestjs-servus/testing';
import { ServusJobProcessor } from './servus-job.processor';

/** Honours its signal: stops as soon as it aborts. */
@Service({ name: 'overrun.cooperative', timeout: '50ms' })
class Cooperative extends ServiceBase<Record<string, never>, null> {
  call(_args: Record<string, never>, context?: CallContext): Promise<never> {
    return new Promise((_resolve, reject) =>
      context?.signal?.addEventListener('abort', () => reject(new Error('stopped at the abort'))),
    );
  }
}

let finishStubborn: () => void = () => undefined;

/** Ignores its signal: ends only when the test lets it. */
@Service({ name: 'overrun.stubborn', timeout: '50ms' })
class Stubborn extends ServiceBase<Record<string, never>, null> {
  call(): Promise<never> {
    return new Promise((_resolve, reject) => (finishStubborn = () => reject(new Error('late'))));
  }
}

@Module({ providers: [Cooperative, Stubborn] })
class OverrunServices {}

describe('a body past its deadline (worker side)', () => {
  let executor: ServusExecutor;
  let queue: ServusTestQueue;
  let processor: ServusJobProcessor;
  let close: () => Promise<void>;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ServusTestingModule.forRoot({ async: 'fake' }), OverrunServices],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
    queue = app.get(ServusTestQueue);
    processor = app.get(ServusJobProcessor);
    close = () => app.close();
  });

  afterAll(() => close());
  beforeEach(() => {
    queue.clear();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const overrunWarnings = () =>
    warn.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('past its deadline'));

  it('a service that honours its signal times out without the "ignores its signal" warning, and is not left running', async () => {
    await executor.callAsync(Cooperative, {}, { attempts: 1 });
    const [performed] = await queue.drain();
    expect(performed.failedReason).toBe(
      'ServiceTimeoutError (timeout): overrun.cooperative did not finish within 50ms',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(overrunWarnings()).toEqual([]);
    expect(processor.oldestActiveJob()).toBeUndefined();
    expect(processor.runningJobs()).toEqual([]);
  });

  it('a service that ignores its signal is warned about once, and counts as running until its body ends', async () => {
    const receipt = await executor.callAsync(Stubborn, {}, { attempts: 1 });
    const [performed] = await queue.drain();
    expect(performed.failedReason).toBe('ServiceTimeoutError (timeout): overrun.stubborn did not finish within 50ms');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(overrunWarnings()).toEqual([
      `overrun.stubborn job ${receipt.jobId} on default, attempt 1 goes on past its deadline (it ignores its signal): ` +
        'it counts as running, and keeps any flow slot, until it ends',
    ]);
    expect(processor.oldestActiveJob()).toMatchObject({ jobId: receipt.jobId, service: 'overrun.stubborn' });
    expect(processor.runningJobs()).toEqual([`default:${receipt.jobId}`]);
    finishStubborn();
    await new Promise((resolve) => setImmediate(resolve));
    expect(processor.oldestActiveJob()).toBeUndefined();
    expect(overrunWarnings()).toHaveLength(1);
  });
});
