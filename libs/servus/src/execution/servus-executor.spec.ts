import { LoggerService, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import {
  NotFoundError,
  Service,
  ServiceBase,
  ServiceError,
  ServiceNotFoundError,
  ServusExecutor,
  ServusModule,
  ServusModuleOptions,
  ValidationError,
} from 'nestjs-servus';
import { REDACTED, ServusObservers } from 'nestjs-servus/extend';
import { sleep } from '../../../../test/support/redis-test-kit';

@Service({ name: 'math.divide' })
class Divide extends ServiceBase<{ a: number; b: number }, { quotient: number }> {
  async call({ a, b }: { a: number; b: number }) {
    if (b === 0) return this.failure('Cannot divide by zero', NotFoundError);
    return this.success({ quotient: a / b });
  }
}

/** Answers with its own arguments after a delay; counts how many calls are in flight at once. */
@Service()
class Echo extends ServiceBase<{ id: number; delayMs: number }, { id: number; instance: Echo }> {
  inFlight = 0;
  maxInFlight = 0;
  async call({ id, delayMs }: { id: number; delayMs: number }) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(delayMs);
      return this.success({ id, instance: this });
    } finally {
      this.inFlight--;
    }
  }
}

@Service({ name: 'reports.find' })
class FindReport extends ServiceBase<{ id?: string; raiseBare?: boolean }, { id: string }> {
  async call({ id, raiseBare }: { id?: string; raiseBare?: boolean }) {
    if (raiseBare) this.raise();
    if (!id) this.raise('Report id is required', NotFoundError);
    return this.success({ id });
  }
}

@Service({ name: 'boom' })
class Boom extends ServiceBase<{ error: unknown }, never> {
  async call({ error }: { error: unknown }): Promise<never> {
    throw error;
  }
}

@Service({ name: 'sync.boom' })
class SyncBoom extends ServiceBase<{ error: Error }, never> {
  call({ error }: { error: Error }): never {
    throw error;
  }
}

@Service({ name: 'broken.return' })
class BrokenReturn extends ServiceBase<unknown, unknown> {
  async call() {
    return { success: true, data: 'not built with this.success()' } as never;
  }
}

@Service({ name: 'auth.login' })
class Login extends ServiceBase<Record<string, unknown>, { received: Record<string, unknown> }> {
  async call(args: Record<string, unknown>) {
    return this.success({ received: args });
  }
}

@Service({ name: 'slow' })
class Slow extends ServiceBase<{ ms: number }, null> {
  async call({ ms }: { ms: number }) {
    await sleep(ms);
    return this.success(null);
  }
}

@Service({
  name: 'payments.charge',
  arguments: { type: 'object', required: ['amount'], properties: { amount: { type: 'integer', minimum: 1 } } },
  result: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
})
class Charge extends ServiceBase<{ amount: number; bugReturnsNumber?: boolean }, { id: string }> {
  call({ amount, bugReturnsNumber }: { amount: number; bugReturnsNumber?: boolean }) {
    return this.success({ id: bugReturnsNumber ? (amount as never) : `ch_${amount}` });
  }
}

@Service()
class NeverProvided extends ServiceBase {
  call() {
    return this.success(null);
  }
}

class NotDecorated extends ServiceBase {
  call() {
    return this.success(null);
  }
}

@Module({ providers: [Divide] })
class MathModule {}

@Module({ providers: [Echo, FindReport, Boom, SyncBoom, BrokenReturn, Login, Slow, Charge] })
class MiscModule {}

async function boot(options: ServusModuleOptions = { logging: false }, logger?: LoggerService): Promise<TestingModule> {
  let builder = Test.createTestingModule({ imports: [ServusModule.forRoot(options), MathModule, MiscModule] });
  if (logger) builder = builder.setLogger(logger);
  const moduleRef = await builder.compile();
  await moduleRef.init();
  return moduleRef;
}

describe('ServusObservers', () => {
  it('see each call start and finish once; a throwing observer is logged and changes no outcome; unsubscribe is idempotent', async () => {
    const errors: string[] = [];
    const logger = {
      log() {},
      warn() {},
      debug() {},
      verbose() {},
      error: (message: string) => errors.push(message),
    } as LoggerService;
    const moduleRef = await boot({ logging: false }, logger);
    try {
      const observers = moduleRef.get(ServusObservers);
      const seen: string[] = [];
      const removeBroken = observers.add({
        callFinished: () => {
          throw new Error('metrics backend down');
        },
      });
      const removeWatcher = observers.add({
        callStarted: (definition) => seen.push(`start ${definition.name}`),
        callFinished: (call) => seen.push(`${call.outcome} ${call.service} ${call.code}`),
      });
      const executor = moduleRef.get(ServusExecutor);
      expect((await executor.call(Divide, { a: 1, b: 0 })).success).toBe(false);
      expect(seen).toEqual(['start math.divide', 'failure math.divide not_found']);
      expect(errors).toEqual(['Observer callFinished threw (ignored): metrics backend down']);
      removeBroken();
      removeBroken();
      await executor.call(Divide, { a: 4, b: 2 });
      expect(seen.slice(2)).toEqual(['start math.divide', 'success math.divide undefined']);
      removeWatcher();
      await executor.call(Divide, { a: 4, b: 2 });
      expect(seen).toHaveLength(4);
      expect(errors).toHaveLength(1);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('ServusExecutor.call', () => {
  it('runs a service found in another module and returns its response', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ServusModule.forRoot({ logging: false }), MathModule],
    }).compile();
    await moduleRef.init();
    const executor = moduleRef.get(ServusExecutor);
    const ok = await executor.call(Divide, { a: 6, b: 3 });
    expect(ok.success && ok.data).toEqual({ quotient: 2 });
    const byName = await executor.call('math.divide', { a: 1, b: 0 });
    expect(byName.success).toBe(false);
    expect(byName.error?.apiError()).toEqual({ code: 'not_found', message: 'Cannot divide by zero' });
    await expect(executor.call('nope', {})).rejects.toThrow(ServiceNotFoundError);
    await moduleRef.close();
  });

  describe('in a booted application', () => {
    let moduleRef: TestingModule;
    let executor: ServusExecutor;

    beforeAll(async () => {
      moduleRef = await boot();
      executor = moduleRef.get(ServusExecutor);
    });
    afterAll(() => moduleRef?.close());

    it('runs a service by its class', async () => {
      const response = await executor.call(Divide, { a: 9, b: 3 });
      expect(response.success).toBe(true);
      expect(response.data).toEqual({ quotient: 3 });
    });

    it('runs a service by its registered name', async () => {
      expect(await executor.call('math.divide', { a: 10, b: 4 })).toMatchObject({
        success: true,
        data: { quotient: 2.5 },
      });
      expect(await executor.call('Echo', { id: 1, delayMs: 0 })).toMatchObject({ success: true, data: { id: 1 } });
    });

    it('returns a business failure as a failure response, not an exception', async () => {
      const response = await executor.call(Divide, { a: 1, b: 0 });
      expect(response.success).toBe(false);
      expect(response.error).toBeInstanceOf(NotFoundError);
    });

    it('runs concurrent calls on one singleton without sharing state between them', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => i);
      const responses = await Promise.all(
        ids.map((id) => executor.call(Echo, { id, delayMs: Math.floor(Math.random() * 20) })),
      );
      const singleton = moduleRef.get(Echo, { strict: false });
      expect(responses.map((r) => r.success && r.data.id)).toEqual(ids);
      for (const response of responses) expect(response.data?.instance).toBe(singleton);
      // The calls really overlapped: the executor neither serialises nor clones the service.
      expect(singleton.maxInFlight).toBeGreaterThan(1);
    });

    it('rejects with the error of this.raise(message, Type)', async () => {
      const call = executor.call(FindReport, {});
      await expect(call).rejects.toBeInstanceOf(NotFoundError);
      await expect(call).rejects.toThrow('Report id is required');
    });

    it('rejects with a ServiceError of the default message for a bare this.raise()', async () => {
      const error = await executor.call(FindReport, { raiseBare: true }).catch((e: unknown) => e);
      expect((error as Error).constructor).toBe(ServiceError);
      expect((error as Error).message).toBe('An error occurred');
    });

    it('rejects with the very object an unrescued exception threw', async () => {
      const thrown = new RangeError('out of range');
      await expect(executor.call(Boom, { error: thrown })).rejects.toBe(thrown);
    });

    it('turns a synchronous throw into a rejection', async () => {
      const thrown = new Error('sync');
      let promise!: Promise<unknown>;
      expect(() => {
        promise = executor.call(SyncBoom, { error: thrown });
      }).not.toThrow();
      await expect(promise).rejects.toBe(thrown);
    });

    it('rejects with a TypeError naming the service when call() returns something other than a response', async () => {
      const call = executor.call(BrokenReturn, {});
      await expect(call).rejects.toBeInstanceOf(TypeError);
      await expect(call).rejects.toThrow(
        'broken.return.call() must return this.success(data) or this.failure(message, Type)',
      );
    });

    it('rejects a class not decorated with @Service(), telling to decorate it', async () => {
      const call = executor.call(NotDecorated);
      await expect(call).rejects.toBeInstanceOf(ServiceNotFoundError);
      await expect(call).rejects.toThrow(
        'Service NotDecorated is not registered: decorate NotDecorated with @Service() and add it to the providers of a module',
      );
    });

    it('rejects a decorated class that no module provides, telling to add it to providers', async () => {
      const call = executor.call(NeverProvided);
      await expect(call).rejects.toBeInstanceOf(ServiceNotFoundError);
      await expect(call).rejects.toThrow(
        'Service NeverProvided is not registered: add NeverProvided to the providers of a module of this application',
      );
    });

    it('rejects an unknown name, listing the registered names', async () => {
      const error = (await executor.call('reports.generate', {}).catch((e: unknown) => e)) as ServiceNotFoundError;
      expect(error).toBeInstanceOf(ServiceNotFoundError);
      expect(error.service).toBe('reports.generate');
      expect(error.message).toMatch(
        /^Service reports\.generate is not registered: no @Service\(\) is registered under that name \(registered: /,
      );
      for (const name of ['math.divide', 'Echo', 'reports.find', 'boom', 'broken.return', 'auth.login'])
        expect(error.message).toContain(name);
      expect(error.message).not.toContain('NeverProvided');
    });
  });

  describe('logging', () => {
    type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
    interface Line {
      level: Level;
      message: string;
      params: unknown[];
    }

    /** A Nest logger that records what it is asked to print. */
    class CapturingLogger implements LoggerService {
      readonly lines: Line[] = [];
      log = (message: string, ...params: unknown[]) => this.lines.push({ level: 'log', message, params });
      error = (message: string, ...params: unknown[]) => this.lines.push({ level: 'error', message, params });
      warn = (message: string, ...params: unknown[]) => this.lines.push({ level: 'warn', message, params });
      debug = (message: string, ...params: unknown[]) => this.lines.push({ level: 'debug', message, params });
      verbose = (message: string, ...params: unknown[]) => this.lines.push({ level: 'verbose', message, params });
      fatal = (message: string, ...params: unknown[]) => this.lines.push({ level: 'fatal', message, params });

      /** Lines of the Servus context, optionally about one service. */
      servus(service?: string): Line[] {
        return this.lines.filter(
          (line) => line.params.at(-1) === 'Servus' && (!service || line.message.startsWith(`${service} `)),
        );
      }
    }

    const opened: TestingModule[] = [];
    async function run(
      options: ServusModuleOptions,
      work: (executor: ServusExecutor) => Promise<unknown>,
    ): Promise<CapturingLogger> {
      const logger = new CapturingLogger();
      const moduleRef = await boot(options, logger);
      opened.push(moduleRef);
      await work(moduleRef.get(ServusExecutor));
      return logger;
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((moduleRef) => moduleRef.close()));
    });

    const secrets = {
      user: 'ada',
      password: 'hunter2',
      token: 't0k3n',
      clientSecret: 's3cr3t',
      apiKey: 'k3y',
      accessToken: 'a-t',
      headers: { Authorization: 'Bearer xyz', accept: 'application/json' },
      profile: { name: 'Ada', settings: { theme: 'dark', refresh_token: 'r-t' } },
      devices: [{ id: 1, pushToken: 'p-t' }],
    };

    function loggedArgs(line: Line | undefined): unknown {
      expect(line).toBeDefined();
      const match = /^auth\.login called with (.*)$/.exec(line!.message);
      expect(match).not.toBeNull();
      return JSON.parse(match![1]);
    }

    it('logs the call at debug with secret values replaced by [REDACTED] and the rest kept', async () => {
      let received: unknown;
      const logger = await run({}, async (executor) => {
        received = (await executor.call(Login, secrets)).data?.received;
      });
      const debug = logger.servus('auth.login').filter((line) => line.level === 'debug');
      expect(debug).toHaveLength(1);
      expect(loggedArgs(debug[0])).toEqual({
        user: 'ada',
        password: REDACTED,
        token: REDACTED,
        clientSecret: REDACTED,
        apiKey: REDACTED,
        accessToken: REDACTED,
        headers: { Authorization: REDACTED, accept: 'application/json' },
        profile: { name: 'Ada', settings: { theme: 'dark', refresh_token: REDACTED } },
        devices: [{ id: 1, pushToken: REDACTED }],
      });
      // The service itself gets the real values.
      expect(received).toEqual(secrets);
    });

    it('redacts the keys of logging.redact as well as the default list', async () => {
      const logger = await run({ logging: { redact: ['user', /^head/] } }, (executor) => executor.call(Login, secrets));
      const args = loggedArgs(logger.servus('auth.login').find((line) => line.level === 'debug')) as Record<
        string,
        unknown
      >;
      expect(args.user).toBe(REDACTED);
      expect(args.headers).toBe(REDACTED);
      expect(args.password).toBe(REDACTED);
      expect(args.profile).toEqual({ name: 'Ada', settings: { theme: 'dark', refresh_token: REDACTED } });
    });

    it('logs a success at log level with its duration in ms', async () => {
      const logger = await run({}, (executor) => executor.call(Slow, { ms: 30 }));
      const outcome = logger.servus('slow').filter((line) => line.level !== 'debug');
      expect(outcome).toHaveLength(1);
      expect(outcome[0].level).toBe('log');
      const match = /^slow succeeded in (\d+(?:\.\d+)?)ms$/.exec(outcome[0].message);
      expect(match).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThanOrEqual(25);
    });

    it('logs a failure at warn with the error name, code and message', async () => {
      const logger = await run({}, (executor) => executor.call(Divide, { a: 1, b: 0 }));
      const outcome = logger.servus('math.divide').filter((line) => line.level !== 'debug');
      expect(outcome).toHaveLength(1);
      expect(outcome[0].level).toBe('warn');
      expect(outcome[0].message).toMatch(
        /^math\.divide failed in \d+(\.\d+)?ms: NotFoundError \(not_found\) Cannot divide by zero$/,
      );
    });

    it('logs an exception at error with its message and stack, then rethrows it', async () => {
      const thrown = new RangeError('out of range');
      const logger = await run({}, (executor) => expect(executor.call(Boom, { error: thrown })).rejects.toBe(thrown));
      const outcome = logger.servus().filter((line) => line.message.startsWith('boom ') && line.level !== 'debug');
      expect(outcome).toHaveLength(1);
      expect(outcome[0].level).toBe('error');
      expect(outcome[0].message).toMatch(/^boom raised RangeError: out of range after \d+(\.\d+)?ms$/);
      expect(outcome[0].params[0]).toBe(thrown.stack);
    });

    it("logs arguments the contract refuses at warn, without a stack: the caller's mistake", async () => {
      const logger = await run({}, (executor) =>
        expect(executor.call(Charge, { amount: 'x' } as never)).rejects.toBeInstanceOf(ValidationError),
      );
      const outcome = logger.servus('payments.charge').filter((line) => line.level !== 'debug');
      expect(outcome).toHaveLength(1);
      expect(outcome[0].level).toBe('warn');
      expect(outcome[0].message).toMatch(
        /^payments\.charge refused its arguments after \d+(\.\d+)?ms: ValidationError: Invalid arguments for payments\.charge: amount must be integer/,
      );
      expect(outcome[0].params).toEqual(['Servus']);
    });

    it('logs them as an exception with logging.invalidArgumentsLevel: error', async () => {
      const logger = await run({ logging: { invalidArgumentsLevel: 'error' } }, (executor) =>
        expect(executor.call(Charge, { amount: 'x' } as never)).rejects.toBeInstanceOf(ValidationError),
      );
      const outcome = logger.servus('payments.charge').filter((line) => line.level !== 'debug');
      expect(outcome.map((line) => line.level)).toEqual(['error']);
      expect(outcome[0].message).toMatch(/^payments\.charge raised ValidationError: Invalid arguments/);
      expect(outcome[0].params[0]).toEqual(expect.stringContaining('ValidationError'));
    });

    it("logs a result the contract refuses at error with its stack: the service's own bug", async () => {
      const logger = await run({}, (executor) =>
        expect(executor.call(Charge, { amount: 5, bugReturnsNumber: true })).rejects.toBeInstanceOf(ValidationError),
      );
      const outcome = logger.servus('payments.charge').filter((line) => line.level !== 'debug');
      expect(outcome.map((line) => line.level)).toEqual(['error']);
      expect(outcome[0].message).toMatch(
        /^payments\.charge raised ValidationError: Invalid result of payments\.charge/,
      );
    });

    it('logs nothing with logging: false', async () => {
      const logger = await run({ logging: false }, async (executor) => {
        await executor.call(Login, secrets);
        await executor.call(Divide, { a: 1, b: 0 });
        await executor.call(Boom, { error: new Error('x') }).catch(() => undefined);
      });
      expect(logger.servus()).toEqual([]);
    });

    it.each(['debug', 'verbose'] as const)(
      'moves the success line to %s with logging.successLevel',
      async (successLevel) => {
        const logger = await run({ logging: { successLevel } }, (executor) => executor.call(Divide, { a: 4, b: 2 }));
        const lines = logger.servus('math.divide');
        expect(lines.filter((line) => line.level === 'log')).toEqual([]);
        expect(
          lines.filter((line) => line.level === successLevel && line.message.includes('succeeded in')),
        ).toHaveLength(1);
      },
    );

    it('keeps failures at warn whatever the success level', async () => {
      const logger = await run({ logging: { successLevel: 'debug' } }, (executor) =>
        executor.call(Divide, { a: 4, b: 0 }),
      );
      expect(logger.servus('math.divide').filter((line) => line.level === 'warn')).toHaveLength(1);
    });
  });
});
