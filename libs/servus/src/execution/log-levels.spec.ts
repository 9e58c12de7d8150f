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
});
