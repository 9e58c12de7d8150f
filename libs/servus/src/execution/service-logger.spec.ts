import { ConsoleLogger, INestApplicationContext, Logger, LoggerService, LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Service, ServiceBase, ServusExecutor, ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { ServiceLogger } from './service-logger';

@Service({ name: 'quiet.echo' })
class Echo extends ServiceBase<{ id: number }, { id: number }> {
  call({ id }: { id: number }) {
    return Promise.resolve(this.success({ id }));
  }
}

/** Every line that reaches the application's logger (and the context each came with). */
class Collecting implements LoggerService {
  readonly lines: string[] = [];
  readonly contexts: unknown[][] = [];
  log(message: string, ...context: unknown[]) {
    this.lines.push(`log ${message}`);
    this.contexts.push(context);
  }
  warn(message: string) {
    this.lines.push(`warn ${message}`);
  }
  error(message: string) {
    this.lines.push(`error ${message}`);
  }
  debug(message: string) {
    this.lines.push(`debug ${message}`);
  }
}

type Setup = { options: ServusModuleOptions; logger: LoggerService | false | LogLevel[]; after?: () => void };

/** The state Nest keeps in statics: every test leaves it as it found it. */
const nest = Logger as unknown as { staticInstanceRef?: unknown; logLevels?: LogLevel[] };

describe('ServiceLogger: logging switched off formats no line', () => {
  const saved = { instance: nest.staticInstanceRef, levels: nest.logLevels };
  let app: INestApplicationContext | undefined;
  let subject: jest.SpyInstance;
  let lineMethods: jest.SpyInstance[];

  beforeEach(() => {
    // `subject` starts every line the pipeline builds; Nest's Logger methods receive them.
    subject = jest.spyOn(ServiceLogger.prototype as unknown as { subject: () => string }, 'subject');
    lineMethods = (['log', 'debug', 'verbose', 'warn', 'error'] as const).map((method) =>
      jest.spyOn(Logger.prototype, method),
    );
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.restoreAllMocks();
    nest.staticInstanceRef = saved.instance;
    nest.logLevels = saved.levels;
  });

  async function boot({ options, logger, after }: Setup): Promise<ServusExecutor> {
    @Module({ imports: [ServusModule.forRoot({ ...options, queues: ['default'] })], providers: [Echo] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: logger === false ? false : logger });
    after?.();
    // Boot lines are not the pipeline's: count from here.
    subject.mockClear();
    lineMethods.forEach((spy) => spy.mockClear());
    if (logger instanceof Collecting) logger.lines.length = 0;
    return app.get(ServusExecutor);
  }

  const silent = new Collecting();
  const ways: Array<[string, Setup]> = [
    ["the module's logging: false (levels on, debug included)", { options: { logging: false }, logger: silent }],
    ["Nest's logger: false", { options: { logging: { successLevel: 'debug' } }, logger: false }],
    [
      'Logger.overrideLogger(false) after boot',
      { options: {}, logger: silent, after: () => void Logger.overrideLogger(false) },
    ],
    ['levels without log and debug (warn, error)', { options: {}, logger: ['warn', 'error'] }],
    [
      'a ConsoleLogger whose own levels lack log and debug',
      { options: {}, logger: new ConsoleLogger({ logLevels: ['error', 'warn', 'fatal'] }) },
    ],
  ];

  it.each(ways)('%s: a successful call builds no call line and no success line', async (_, setup) => {
    const executor = await boot(setup);
    const written = (['log', 'debug', 'warn', 'error'] as const).map((method) => jest.spyOn(silent, method));
    for (let i = 0; i < 3; i++) expect(await executor.call(Echo, { id: i })).toMatchObject({ success: true });
    expect(subject).not.toHaveBeenCalled();
    for (const spy of [...lineMethods, ...written]) expect(spy).not.toHaveBeenCalled();
  });

  it.each<[string, number, Setup]>([
    ["the module's logging: false", 0, ways[0][1]],
    ["Nest's logger: false", 0, ways[1][1]],
    ['Logger.overrideLogger(false)', 0, ways[2][1]],
    // Failure and exception lines carry their duration: the start is read, the end only for a line that prints.
    ['levels without log and debug', 1, ways[3][1]],
  ])('%s: a successful call reads the clock %d time(s)', async (_, reads, setup) => {
    const executor = await boot(setup);
    const now = jest.spyOn(performance, 'now');
    await executor.call(Echo, { id: 1 });
    expect(now).toHaveBeenCalledTimes(reads);
  });

  it('the same calls with debug and log on format both lines (the spies see them)', async () => {
    const collecting = new Collecting();
    const executor = await boot({
      options: {},
      logger: collecting,
      after: () => void Logger.overrideLogger(['log', 'debug']),
    });
    await executor.call(Echo, { id: 7 });
    expect(subject).toHaveBeenCalledTimes(2);
    expect(collecting.lines).toEqual([
      'debug quiet.echo called with {"id":7}',
      expect.stringMatching(/^log quiet\.echo succeeded in \d+\.\d\dms$/),
    ]);
  });

  it('levels changed at runtime are followed: off, then on again', async () => {
    const collecting = new Collecting();
    const executor = await boot({
      options: {},
      logger: collecting,
      after: () => void Logger.overrideLogger(['error']),
    });
    await executor.call(Echo, { id: 1 });
    expect(collecting.lines).toEqual([]);
    Logger.overrideLogger(['log']);
    await executor.call(Echo, { id: 2 });
    expect(collecting.lines).toEqual([expect.stringMatching(/^log quiet\.echo succeeded in /)]);
  });
});

describe('ServiceLogger: where lines go', () => {
  const saved = { instance: nest.staticInstanceRef, levels: nest.logLevels };
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.restoreAllMocks();
    nest.staticInstanceRef = saved.instance;
    nest.logLevels = saved.levels;
  });

  it("an application LoggerService gets each line as Nest's Logger would hand it (message, context), without it", async () => {
    const collecting = new Collecting();
    @Module({ imports: [ServusModule.forRoot({ queues: ['default'] })], providers: [Echo] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: collecting });
    Logger.overrideLogger(['log', 'warn', 'error']);
    collecting.lines.length = collecting.contexts.length = 0;
    const viaNest = jest.spyOn(Logger.prototype, 'log');
    await app.get(ServusExecutor).call(Echo, { id: 3 });
    expect(collecting.lines).toEqual([expect.stringMatching(/^log quiet\.echo succeeded in \d+\.\d\dms$/)]);
    expect(collecting.contexts).toEqual([['Servus']]);
    expect(viaNest).not.toHaveBeenCalled();
  });

  it("while Nest buffers lines (bufferLogs), they go through Nest's Logger, so they are buffered and flushed in order", async () => {
    const collecting = new Collecting();
    @Module({ imports: [ServusModule.forRoot({ queues: ['default'] })], providers: [Echo] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: collecting, bufferLogs: true });
    Logger.overrideLogger(['log', 'warn', 'error']);
    Logger.flush();
    collecting.lines.length = 0;
    Logger.attachBuffer();
    try {
      await app.get(ServusExecutor).call(Echo, { id: 4 });
      expect(collecting.lines).toEqual([]);
    } finally {
      Logger.flush();
    }
    expect(collecting.lines).toEqual([expect.stringMatching(/^log quiet\.echo succeeded in /)]);
  });
});
