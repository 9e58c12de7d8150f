import { ConsoleLogger, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { NotFoundError, ValidationError } from '../response/http-errors';
import { ServiceError } from '../response/service-error';
import { ServiceResponse } from '../response/service-response';
import { ExecutionModuleOptions } from './execution-options.interface';
import { Redactor } from './redactor';
import { format, ServiceLogger } from './service-logger';
import { ServusContext } from './servus-context';

/*
 * The logger built by hand (no Nest module). Which levels print is LogLevels' answer (log-levels.spec.ts);
 * here a hand-made table stands in for it, and a LoggerService that records lines stands in for the
 * application's logger. The last describe block goes through Nest's own Logger statics.
 */

const ALL: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
const only = (...enabled: LogLevel[]) =>
  Object.fromEntries(ALL.map((level) => [level, enabled.includes(level)])) as Record<LogLevel, boolean>;

/** Every line the application's logger receives, with what came after the message. */
class Recording implements LoggerService {
  readonly lines: Array<[string, string, ...unknown[]]> = [];
  log = (message: string, ...rest: unknown[]) => void this.lines.push(['log', message, ...rest]);
  warn = (message: string, ...rest: unknown[]) => void this.lines.push(['warn', message, ...rest]);
  error = (message: string, ...rest: unknown[]) => void this.lines.push(['error', message, ...rest]);
  debug = (message: string, ...rest: unknown[]) => void this.lines.push(['debug', message, ...rest]);
  verbose = (message: string, ...rest: unknown[]) => void this.lines.push(['verbose', message, ...rest]);
}

/** Stands in for LogLevels: the table `current()` answers (a new object when changed) and the direct target. */
class Levels {
  table = only(...ALL);
  target: LoggerService | undefined;
  reads = 0;
  current() {
    this.reads++;
    return this.table;
  }
  direct() {
    return this.target;
  }
}

function build(options: ExecutionModuleOptions = {}, enabled: LogLevel[] = ALL) {
  const redactor = new Redactor(options);
  let redactions = 0;
  const redact = redactor.redact;
  (redactor as { redact: (value: unknown) => unknown }).redact = (value) => (redactions++, redact(value));
  const logger = new ServiceLogger(options, redactor);
  const levels = new Levels();
  levels.table = only(...enabled);
  const app = new Recording();
  levels.target = app;
  (logger as unknown as { levels: Levels }).levels = levels;
  return { logger, levels, app, redactions: () => redactions };
}

const ok = ServiceResponse.success(null);
const notFound = ServiceResponse.failure(new NotFoundError('No report 7'));

describe('ServiceLogger.begin: whether the call needs its start time', () => {
  it.each<[string, ExecutionModuleOptions, LogLevel[], boolean]>([
    ['every level on', {}, ALL, true],
    ['nothing on', {}, [], false],
    ['only debug on (no outcome line at debug by default)', {}, ['debug'], false],
    ['only log on: the success line', {}, ['log'], true],
    ['only warn on: the failure line', { logging: { invalidArgumentsLevel: 'debug' } }, ['warn'], true],
    ['only error on: the exception line', {}, ['error'], true],
    ['only debug on, success at debug', { logging: { successLevel: 'debug' } }, ['debug'], true],
    ['only verbose on, success at verbose', { logging: { successLevel: 'verbose' } }, ['verbose'], true],
    ['only debug on, refusals at debug', { logging: { invalidArgumentsLevel: 'debug' } }, ['debug'], true],
    [
      'only log on, refusals at log',
      { logging: { successLevel: 'debug', invalidArgumentsLevel: 'log' } },
      ['log'],
      true,
    ],
    ['only log on, success at debug', { logging: { successLevel: 'debug' } }, ['log'], false],
    ['fatal only', {}, ['fatal'], false],
  ])('%s', (_, options, enabled, timed) => {
    const { logger } = build(options, enabled);
    expect(logger.begin()).toBe(timed);
  });

  it('logging: false answers no without reading the levels, and prints nothing', () => {
    const { logger, levels, app } = build({ logging: false });
    expect(logger.begin()).toBe(false);
    expect(levels.reads).toBe(0);
    logger.called('a', undefined, {});
    logger.finished('a', undefined, ok, 1);
    logger.finished('a', undefined, notFound, 1);
    logger.refused('a', undefined, new Error('x'), 1);
    logger.raised('a', undefined, new Error('x'), 1);
    expect(app.lines).toEqual([]);
  });

  it('follows the levels of each call: a new table is decided again, the same one is kept', () => {
    const { logger, levels } = build({}, ['error']);
    expect(logger.begin()).toBe(true);
    levels.table = only('debug');
    expect(logger.begin()).toBe(false);
    expect(logger.logsOutcome(ok)).toBe(false);
    levels.table = only('log');
    expect(logger.begin()).toBe(true);
    expect(logger.logsOutcome(ok)).toBe(true);
    expect(levels.reads).toBe(3);
  });

  it('prints nothing before the first begin()', () => {
    const { logger, app } = build();
    logger.called('a', undefined, {});
    logger.finished('a', undefined, ok, 1);
    logger.raised('a', undefined, new Error('x'), 1);
    expect(app.lines).toEqual([]);
  });
});

describe('ServiceLogger.logsOutcome', () => {
  it.each<[string, ExecutionModuleOptions, LogLevel[], boolean, boolean]>([
    ['log and warn on', {}, ['log', 'warn'], true, true],
    ['log only', {}, ['log'], true, false],
    ['warn and error only', {}, ['warn', 'error'], false, true],
    ['success at debug, debug on', { logging: { successLevel: 'debug' } }, ['debug'], true, false],
    ['success at debug, log on', { logging: { successLevel: 'debug' } }, ['log', 'warn'], false, true],
  ])('%s', (_, options, enabled, success, failure) => {
    const { logger } = build(options, enabled);
    logger.begin();
    expect(logger.logsOutcome(ok)).toBe(success);
    expect(logger.logsOutcome(notFound)).toBe(failure);
  });
});

describe('ServiceLogger lines', () => {
  it('the call line: debug, redacted arguments as JSON, the label', () => {
    const { logger, app } = build();
    logger.begin();
    logger.called('auth.login', undefined, { user: 'ada', password: 'hunter2' });
    logger.called('auth.login', 'job 7 on default', { n: 1 });
    expect(app.lines).toEqual([
      ['debug', 'auth.login called with {"user":"ada","password":"[REDACTED]"}', 'Servus'],
      ['debug', 'auth.login (job 7 on default) called with {"n":1}', 'Servus'],
    ]);
  });

  it('the call line redacts the keys of logging.redact too', () => {
    const { logger, app } = build({ logging: { redact: ['user'] } });
    logger.begin();
    logger.called('auth.login', undefined, { user: 'ada', password: 'p', name: 'n' });
    expect(app.lines[0][1]).toBe('auth.login called with {"user":"[REDACTED]","password":"[REDACTED]","name":"n"}');
  });

  it('the call line: what JSON cannot write is shown with String(), never thrown', () => {
    const { logger, app } = build();
    logger.begin();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    logger.called('s', undefined, undefined);
    logger.called('s', undefined, 10n);
    logger.called('s', undefined, () => 1);
    expect(app.lines.map((line) => line[1])).toEqual([
      's called with undefined',
      's called with 10',
      's called with () => 1',
    ]);
    expect(() => logger.called('s', undefined, cyclic)).not.toThrow();
  });

  it('the call line is cut after maxArgsLength characters (default 2000), control characters escaped', () => {
    const long = { text: 'x'.repeat(3000) };
    const json = JSON.stringify(long);
    const byDefault = build();
    byDefault.logger.begin();
    byDefault.logger.called('s', undefined, long);
    expect(byDefault.app.lines[0][1]).toBe(
      `s called with ${json.slice(0, 2000)}...(${json.length - 2000} more characters)`,
    );
    const short = build({ logging: { maxArgsLength: 10 } });
    short.logger.begin();
    short.logger.called('s', undefined, long);
    short.logger.called('s', undefined, 'a\nb');
    expect(short.app.lines.map((line) => line[1])).toEqual([
      `s called with {"text":"x...(${json.length - 10} more characters)`,
      's called with "a\\nb"',
    ]);
  });

  it('the call line is not built, nor the arguments redacted, while debug is off', () => {
    const { logger, app, redactions } = build({}, ['log', 'warn', 'error']);
    logger.begin();
    logger.called('s', undefined, { password: 'p' });
    expect(app.lines).toEqual([]);
    expect(redactions()).toBe(0);
  });

  it('a success: at log by default, or at logging.successLevel, with the duration', () => {
    for (const [successLevel, expected] of [
      [undefined, 'log'],
      ['debug', 'debug'],
      ['verbose', 'verbose'],
    ] as const) {
      const { logger, app } = build({ logging: successLevel ? { successLevel } : {} });
      logger.begin();
      logger.finished('math.divide', undefined, ok, 1.5);
      logger.finished('math.divide', 'job 3 on low', ok, 12.4);
      expect(app.lines).toEqual([
        [expected, 'math.divide succeeded in 1.50ms', 'Servus'],
        [expected, 'math.divide (job 3 on low) succeeded in 12ms', 'Servus'],
      ]);
    }
  });

  it('a success prints nothing while its level is off', () => {
    const { logger, app } = build({}, ['warn', 'error', 'debug']);
    logger.begin();
    logger.finished('s', undefined, ok, 1);
    expect(app.lines).toEqual([]);
  });

  it('a failure: at warn whatever the success level, with the error name, code and message, escaped', () => {
    const { logger, app } = build({ logging: { successLevel: 'debug' } });
    logger.begin();
    logger.finished('math.divide', undefined, notFound, 2);
    logger.finished('s', 'job 1 on q', ServiceResponse.failure(new ServiceError('line\nbreak')), 20);
    expect(app.lines).toEqual([
      ['warn', 'math.divide failed in 2.00ms: NotFoundError (not_found) No report 7', 'Servus'],
      ['warn', 's (job 1 on q) failed in 20ms: ServiceError (bad_request) line\\nbreak', 'Servus'],
    ]);
  });

  it('a failure prints nothing while warn is off', () => {
    const { logger, app } = build({}, ['log', 'error']);
    logger.begin();
    logger.finished('s', undefined, notFound, 1);
    expect(app.lines).toEqual([]);
  });

  it('an exception: at error, name and message escaped, the stack passed on, the duration', () => {
    const { logger, app } = build();
    logger.begin();
    const error = new RangeError('out\nof range');
    logger.raised('boom', undefined, error, 3);
    logger.raised('boom', 'job 2 on default', 'a string', 30);
    expect(app.lines).toEqual([
      [
        'error',
        'boom raised RangeError: out\\nof range after 3.00ms',
        `RangeError: out\\nof range${error.stack!.slice('RangeError: out\nof range'.length)}`,
        'Servus',
      ],
      ['error', 'boom (job 2 on default) raised a string after 30ms', undefined, 'Servus'],
    ]);
  });

  it('an exception prints nothing while error is off', () => {
    const { logger, app } = build({}, ['log', 'warn']);
    logger.begin();
    logger.raised('s', undefined, new Error('x'), 1);
    expect(app.lines).toEqual([]);
  });

  it('refused arguments: one line at warn by default, without a stack, escaped', () => {
    const { logger, app } = build();
    logger.begin();
    logger.refused('payments.charge', undefined, new ValidationError('amount must be\ninteger'), 1);
    logger.refused('payments.charge', 'job 4 on q', 'not an error', 11);
    expect(app.lines).toEqual([
      [
        'warn',
        'payments.charge refused its arguments after 1.00ms: ValidationError: amount must be\\ninteger',
        'Servus',
      ],
      ['warn', 'payments.charge (job 4 on q) refused its arguments after 11ms: not an error', 'Servus'],
    ]);
  });

  it.each(['log', 'debug'] as const)('refused arguments at logging.invalidArgumentsLevel %s', (level) => {
    const { logger, app } = build({ logging: { invalidArgumentsLevel: level } });
    logger.begin();
    logger.refused('s', undefined, new Error('bad'), 1);
    expect(app.lines).toEqual([[level, 's refused its arguments after 1.00ms: Error: bad', 'Servus']]);
  });

  it('refused arguments print nothing while their level is off', () => {
    const { logger, app } = build({}, ['log', 'error']);
    logger.begin();
    logger.refused('s', undefined, new Error('bad'), 1);
    expect(app.lines).toEqual([]);
  });

  it('refused arguments at invalidArgumentsLevel error: logged as an exception, with the stack', () => {
    const { logger, app } = build({ logging: { invalidArgumentsLevel: 'error' } });
    logger.begin();
    const error = new ValidationError('bad');
    logger.refused('s', undefined, error, 1);
    expect(app.lines).toEqual([['error', 's raised ValidationError: bad after 1.00ms', error.stack, 'Servus']]);
  });

  it('a label given as a function is built only for a line that prints, and shown as its text', () => {
    const { logger, app } = build({ logging: { successLevel: 'debug' } }, ['log', 'warn', 'error']);
    const label = jest.fn(() => 'job 7 on default, attempt 1/3');
    logger.begin();
    logger.called('s', label, {});
    logger.finished('s', label, ok, 1);
    expect(label).not.toHaveBeenCalled();
    logger.finished('s', label, notFound, 2);
    logger.raised('s', label, new Error('bug'), 3);
    expect(label).toHaveBeenCalledTimes(2);
    expect(app.lines.map(([level, message]) => [level, message])).toEqual([
      ['warn', 's (job 7 on default, attempt 1/3) failed in 2.00ms: NotFoundError (not_found) No report 7'],
      ['error', 's (job 7 on default, attempt 1/3) raised Error: bug after 3.00ms'],
    ]);
  });

  it('a LoggerService without debug or verbose gets no such line (and nothing throws)', () => {
    const { logger, levels } = build({ logging: { successLevel: 'verbose' } });
    const lines: string[] = [];
    levels.target = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: () => undefined };
    logger.begin();
    logger.called('s', undefined, {});
    logger.finished('s', undefined, ok, 1);
    logger.finished('s', undefined, notFound, 1);
    expect(lines).toEqual(['s failed in 1.00ms: NotFoundError (not_found) No report 7']);
  });
});

describe('ServiceLogger: the context in each line', () => {
  it('shows the current context, redacted and escaped, after the service and label', () => {
    const { logger, app } = build();
    logger.begin();
    ServusContext.run({ correlationId: 'corr-7', tenantId: 't\n1', apiToken: 'hunter2' }, () => {
      logger.finished('context.read', undefined, ok, 1);
      logger.finished('context.read', 'job 1 on q', ok, 1);
    });
    expect(app.lines.map((line) => line[1])).toEqual([
      'context.read [correlationId=corr-7 tenantId=t\\n1 apiToken=[REDACTED]] succeeded in 1.00ms',
      'context.read (job 1 on q) [correlationId=corr-7 tenantId=t\\n1 apiToken=[REDACTED]] succeeded in 1.00ms',
    ]);
  });

  it('cuts a long key at 100 characters and a long value at 200', () => {
    const { logger, app } = build();
    logger.begin();
    ServusContext.run({ ['k'.repeat(150)]: 'v'.repeat(250) }, () => logger.finished('s', undefined, ok, 1));
    expect(app.lines[0][1]).toBe(
      `s [${'k'.repeat(100)}...(50 more characters)=${'v'.repeat(200)}...(50 more characters)] succeeded in 1.00ms`,
    );
  });

  it('an empty context adds nothing', () => {
    const { logger, app } = build();
    logger.begin();
    ServusContext.run({}, () => logger.finished('s', undefined, ok, 1));
    expect(app.lines[0][1]).toBe('s succeeded in 1.00ms');
  });

  it('formats a context once for all the lines of its run', () => {
    const { logger, app, redactions } = build({}, ['log']);
    logger.begin();
    ServusContext.run({ tenantId: 'a' }, () => {
      logger.finished('s', undefined, ok, 1);
      logger.finished('s', undefined, ok, 2);
    });
    ServusContext.run({ tenantId: 'b' }, () => logger.finished('s', undefined, ok, 3));
    expect(redactions()).toBe(2);
    expect(app.lines.map((line) => line[1])).toEqual([
      's [tenantId=a] succeeded in 1.00ms',
      's [tenantId=a] succeeded in 2.00ms',
      's [tenantId=b] succeeded in 3.00ms',
    ]);
  });
});

describe("ServiceLogger through Nest's Logger (a ConsoleLogger, or while lines are buffered)", () => {
  const nest = Logger as unknown as { staticInstanceRef?: unknown; logLevels?: LogLevel[] };
  const saved = { instance: nest.staticInstanceRef, levels: nest.logLevels };
  afterEach(() => {
    jest.restoreAllMocks();
    nest.staticInstanceRef = saved.instance;
    nest.logLevels = saved.levels;
  });

  it("a ConsoleLogger's lines go through a Logger whose context is Servus, the stack as its second argument", () => {
    const console = new ConsoleLogger({ logLevels: ALL });
    Logger.overrideLogger(console);
    const printed: unknown[][] = [];
    for (const level of ['debug', 'log', 'warn', 'error'] as const)
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push([level, ...args]));
    const logger = new ServiceLogger({}, new Redactor({}));
    expect(logger.begin()).toBe(true);
    logger.called('s', undefined, { a: 1 });
    logger.finished('s', undefined, ok, 1);
    logger.finished('s', undefined, notFound, 1);
    const error = new Error('bad');
    logger.raised('s', undefined, error, 1);
    expect(printed).toEqual([
      ['debug', 's called with {"a":1}', 'Servus'],
      ['log', 's succeeded in 1.00ms', 'Servus'],
      ['warn', 's failed in 1.00ms: NotFoundError (not_found) No report 7', 'Servus'],
      ['error', 's raised Error: bad after 1.00ms', error.stack, 'Servus'],
    ]);
  });

  it("an application LoggerService gets each line straight (message, context), not through Nest's Logger", () => {
    const app = new Recording();
    Logger.overrideLogger(app);
    nest.logLevels = undefined;
    const viaNest = jest.spyOn(Logger.prototype, 'log');
    const logger = new ServiceLogger({}, new Redactor({}));
    logger.begin();
    logger.finished('s', undefined, ok, 1);
    expect(app.lines).toEqual([['log', 's succeeded in 1.00ms', 'Servus']]);
    expect(viaNest).not.toHaveBeenCalled();
  });

  it('while Nest buffers lines, they go through its Logger, exceptions included', () => {
    const app = new Recording();
    Logger.overrideLogger(app);
    nest.logLevels = undefined;
    const viaNest = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logger = new ServiceLogger({}, new Redactor({}));
    logger.begin();
    Logger.attachBuffer();
    try {
      logger.finished('s', undefined, ok, 1);
      logger.raised('s', undefined, 'x', 1);
    } finally {
      Logger.flush();
    }
    expect(app.lines).toEqual([]);
    expect(viaNest.mock.calls).toEqual([['s succeeded in 1.00ms']]);
    expect(errors.mock.calls).toEqual([['s raised x after 1.00ms', undefined]]);
  });
});

describe('format (durations in log lines)', () => {
  it('writes two decimals under 10 ms and whole milliseconds from 10 ms, as toFixed does', () => {
    const table: Array<[number, string]> = [
      [0, '0.00ms'],
      [0.004, '0.00ms'],
      [0.05, '0.05ms'],
      [0.1, '0.10ms'],
      [0.125, '0.13ms'],
      [1, '1.00ms'],
      [1.09, '1.09ms'],
      [1.1, '1.10ms'],
      [9.994, '9.99ms'],
      [9.999, '10.00ms'],
      [10, '10ms'],
      [10.5, '11ms'],
      [12345.678, '12346ms'],
      [Infinity, 'Infinityms'],
      [NaN, 'NaNms'],
    ];
    for (const [ms, text] of table) expect([ms, format(ms)]).toEqual([ms, text]);
    // Random values: toFixed's text, but for a last digit at an exact binary half (2.675 -> 2.67 or 2.68).
    for (let i = 0; i < 2000; i++) {
      const ms = Math.random() * (i % 2 ? 10 : 2000);
      const text = format(ms);
      expect(text).toMatch(ms < 10 ? /^\d+\.\d\dms$/ : /^\d+ms$/);
      expect(Math.abs(parseFloat(text) - parseFloat(ms.toFixed(ms < 10 ? 2 : 0)))).toBeLessThanOrEqual(
        ms < 10 ? 0.010001 : 1,
      );
    }
  });
});
