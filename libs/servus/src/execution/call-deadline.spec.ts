import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CallContext,
  Service,
  ServiceBase,
  ServiceTimeoutError,
  ServiceUnavailableError,
  ServusExecutor,
  ServusModule,
  ServusModuleOptions,
} from 'nestjs-servus';
import { runWithDeadline } from './call-deadline';
import { ServiceResponse } from '../response/service-response';

/** Never finishes on its own: it ends only when its signal aborts, and records why. */
abstract class Hanging extends ServiceBase<Record<string, never>, never> {
  abortedWith?: unknown;
  signalSeen = false;
  call(_args: Record<string, never>, context?: CallContext): Promise<never> {
    this.signalSeen = context?.signal !== undefined;
    return new Promise((_resolve, reject) =>
      context?.signal?.addEventListener('abort', () => {
        this.abortedWith = context.signal!.reason;
        reject(new Error('stopped'));
      }),
    );
  }
}

@Service({ name: 'deadline.own', timeout: '150ms' })
class OwnTimeout extends Hanging {}

@Service({ name: 'deadline.none' })
class NoTimeout extends Hanging {}

@Service({ name: 'deadline.quick', timeout: 5000 })
class Quick extends ServiceBase<Record<string, never>, { ok: true }> {
  call() {
    return Promise.resolve(this.success({ ok: true as const }));
  }
}

@Module({ providers: [OwnTimeout, NoTimeout, Quick] })
class DeadlineServices {}

async function boot(options: ServusModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [ServusModule.forRoot({ logging: false, ...options }), DeadlineServices],
  }).compile();
  const app = await moduleRef.init();
  return { app, executor: app.get(ServusExecutor) };
}

describe('service timeouts in call()', () => {
  it('@Service({ timeout }) ends a hung call at its deadline with a retryable ServiceTimeoutError failure, its signal aborted', async () => {
    const { app, executor } = await boot();
    const started = performance.now();
    const response = await executor.call(OwnTimeout, {});
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(2000);
    expect(response.success).toBe(false);
    if (response.success) return;
    expect(response.error).toBeInstanceOf(ServiceTimeoutError);
    expect(response.error).toBeInstanceOf(ServiceUnavailableError);
    expect(response.error.retryable).toBe(true);
    expect(response.error.httpStatus).toBe(504);
    expect(response.error.apiError()).toEqual({
      code: 'timeout',
      message: 'deadline.own did not finish within 150ms',
    });
    const service = app.get(OwnTimeout);
    expect(service.abortedWith).toBe(response.error);
    await app.close();
  });

  it('the module default applies to services that set none; off unless set (no signal made then)', async () => {
    const withDefault = await boot({ defaultTimeout: '100ms' });
    const response = await withDefault.executor.call(NoTimeout, {});
    expect(response.success ? undefined : response.error.message).toBe('deadline.none did not finish within 100ms');
    expect(response.success ? undefined : response.error).toBeInstanceOf(ServiceTimeoutError);
    expect((await withDefault.executor.call(Quick, {})).success).toBe(true);
    await withDefault.app.close();

    const without = await boot();
    const service = without.app.get(NoTimeout);
    const pending = without.executor.call(NoTimeout, {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(service.signalSeen).toBe(false); // still hanging, and no signal was made for it
    await without.app.close();
    void pending.catch(() => undefined);
  });

  it('refuses a timeout that is not a duration at decoration and a bad module default at boot', async () => {
    expect(() => Service({ timeout: 'soon' })).toThrow(
      `@Service({ timeout }): "soon" is not a duration: use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'`,
    );
    await expect(boot({ defaultTimeout: 0 })).rejects.toThrow(
      'ServusModule: defaultTimeout must be a positive duration, got 0',
    );
  });
});

describe('runWithDeadline: a body that outlives its deadline', () => {
  it('tells `overrun` at the deadline, with a promise that settles only when the body does', async () => {
    let finish!: () => void;
    const body = new Promise<void>((resolve) => (finish = resolve));
    let settled: Promise<void> | undefined;
    let bodyDone = false;
    const result = await runWithDeadline(
      { name: 'deadline.stubborn', timeoutMs: 20, overrun: (promise) => void (settled = promise) },
      () => body.then(() => 'late'),
    );
    expect((result as ServiceResponse).success).toBe(false);
    expect((result as { error: Error }).error.message).toBe('deadline.stubborn did not finish within 20ms');
    expect(settled).toBeDefined();
    void settled!.then(() => (bodyDone = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(bodyDone).toBe(false);
    finish();
    await settled;
    expect(bodyDone).toBe(true);
  });

  it('a rejecting body settles the overrun promise too, and a body done in time never calls it', async () => {
    let settled: Promise<void> | undefined;
    await runWithDeadline(
      { name: 'x', timeoutMs: 10, overrun: (promise) => void (settled = promise) },
      () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late failure')), 40)),
    );
    await expect(settled).resolves.toBeUndefined();
    const overrun = jest.fn();
    await expect(runWithDeadline({ name: 'y', timeoutMs: 50, overrun }, () => 'fast')).resolves.toBe('fast');
    await new Promise((resolve) => setTimeout(resolve, 70));
    expect(overrun).not.toHaveBeenCalled();
  });
});
