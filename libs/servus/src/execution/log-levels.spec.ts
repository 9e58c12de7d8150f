import { ConsoleLogger, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { LogLevels } from './log-levels';

/** Nest's static logger state, as log-levels.ts reads it. */
const state = Logger as unknown as { staticInstanceRef?: unknown; logLevels?: LogLevel[] };
const ALL: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
const only = (...enabled: LogLevel[]) => Object.fromEntries(ALL.map((level) => [level, enabled.includes(level)]));

const plain: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

describe('LogLevels', () => {
  const saved = { instance: state.staticInstanceRef, levels: state.logLevels };
  afterEach(() => {
    state.staticInstanceRef = saved.instance;
    state.logLevels = saved.levels;
  });

  it('no logger (logger: false): no level is printed', () => {
    Logger.overrideLogger(false);
    const levels = new LogLevels();
    expect(levels.current()).toEqual(only());
    for (const level of ALL) expect(levels.isEnabled(level)).toBe(false);
  });

  it('a ConsoleLogger: its own levels, decided again when they change on the same instance', () => {
    const console = new ConsoleLogger({ logLevels: ['warn', 'error'] });
    Logger.overrideLogger(console);
    state.logLevels = undefined;
    const levels = new LogLevels();
    // Nest's rule: the listed levels and every level above the highest of them.
    expect(levels.current()).toEqual(only('warn', 'error', 'fatal'));
    expect(levels.isEnabled('warn')).toBe(true);
    expect(levels.isEnabled('log')).toBe(false);
    console.setLogLevels(['error']);
    expect(levels.current()).toEqual(only('error', 'fatal'));
    expect(levels.isEnabled('warn')).toBe(false);
  });

  it('another LoggerService: every level while none are set, then the levels set through Nest', () => {
    Logger.overrideLogger(plain);
    state.logLevels = undefined;
    const levels = new LogLevels();
    expect(levels.current()).toEqual(only(...ALL));
    Logger.overrideLogger(['error', 'warn']);
    expect(levels.current()).toEqual(only('error', 'warn', 'fatal'));
    expect(levels.isEnabled('log')).toBe(false);
  });

  it('decided again when the logger is replaced', () => {
    Logger.overrideLogger(plain);
    state.logLevels = undefined;
    const levels = new LogLevels();
    expect(levels.isEnabled('log')).toBe(true);
    Logger.overrideLogger(false);
    expect(levels.isEnabled('log')).toBe(false);
    Logger.overrideLogger(new ConsoleLogger({ logLevels: ['verbose'] }));
    expect(levels.current()).toEqual(only(...ALL));
    Logger.overrideLogger(new ConsoleLogger({ logLevels: ['fatal'] }));
    expect(levels.current()).toEqual(only('fatal'));
  });

  it('answers from the table decided at the last change: the same object while nothing changed', () => {
    Logger.overrideLogger(new ConsoleLogger({ logLevels: ['error'] }));
    const levels = new LogLevels();
    const first = levels.current();
    expect(levels.current()).toBe(first);
    expect(levels.current()).toBe(first);
    Logger.overrideLogger(['log']);
    expect(levels.current()).not.toBe(first);
  });

  it('decided again when only the levels set through Nest change (the same LoggerService)', () => {
    Logger.overrideLogger(plain);
    state.logLevels = ['error'];
    const levels = new LogLevels();
    const first = levels.current();
    expect(first).toEqual(only('error', 'fatal'));
    expect(levels.current()).toBe(first);
    state.logLevels = ['log'];
    expect(levels.current()).toEqual(only('log', 'warn', 'error', 'fatal'));
  });
});

describe('LogLevels.direct: where a line goes straight', () => {
  const saved = { instance: state.staticInstanceRef, levels: state.logLevels };
  afterEach(() => {
    state.staticInstanceRef = saved.instance;
    state.logLevels = saved.levels;
    Logger.flush();
  });

  it("the application's own LoggerService, once decided", () => {
    Logger.overrideLogger(plain);
    const levels = new LogLevels();
    expect(levels.direct()).toBeUndefined();
    levels.current();
    expect(levels.direct()).toBe(plain);
  });

  it("never Nest's ConsoleLogger or a Logger (the Logger picks the instance), nor with no logger", () => {
    for (const instance of [new ConsoleLogger(), new Logger('x'), false] as const) {
      Logger.overrideLogger(instance);
      const levels = new LogLevels();
      levels.current();
      expect(levels.direct()).toBeUndefined();
    }
  });

  it('not while Nest buffers boot lines', () => {
    Logger.overrideLogger(plain);
    const levels = new LogLevels();
    levels.current();
    Logger.attachBuffer();
    expect(levels.direct()).toBeUndefined();
    Logger.flush();
    expect(levels.direct()).toBe(plain);
  });

  it('not once the logger was replaced after the last answer (until current() decides again)', () => {
    Logger.overrideLogger(plain);
    const levels = new LogLevels();
    levels.current();
    const other: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };
    Logger.overrideLogger(other);
    expect(levels.direct()).toBeUndefined();
    levels.current();
    expect(levels.direct()).toBe(other);
  });
});
