import { ConsoleLogger, Logger, LoggerService, LogLevel } from '@nestjs/common';

/** Nest's static logger state (public at runtime, not in its types). */
interface NestLoggerState {
  staticInstanceRef?: unknown;
  logLevels?: LogLevel[];
  isBufferAttached?: boolean;
}

const state = Logger as unknown as NestLoggerState;
const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/**
 * Whether Nest prints a level, decided again only when the application's logger or its levels
 * change: a call compares three references and reads a table decided at the last change. The
 * rules are written here because Nest's own answer differs by version (Nest 11 says no for
 * every level until levels are set):
 *
 * - no logger (`logger: false`, `Logger.overrideLogger(false)`): nothing is printed;
 * - a ConsoleLogger: its own levels (which `overrideLogger([...])` and `useLogger` set);
 * - any other LoggerService: the levels set through Nest, every level when none were.
 */
export class LogLevels {
  private instance: unknown = LogLevels;
  private levels: unknown = LogLevels;
  private console?: ConsoleLogger;
  private own: unknown;
  private decided: Readonly<Record<LogLevel, boolean>> = decideAll(undefined);
  private target?: LoggerService;

  isEnabled(level: LogLevel): boolean {
    return this.current()[level];
  }

  /** Every level's answer as of now (decided again only if the logger or its levels changed). */
  current(): Readonly<Record<LogLevel, boolean>> {
    if (
      state.staticInstanceRef !== this.instance ||
      state.logLevels !== this.levels ||
      (this.console !== undefined && ownLevels(this.console) !== this.own)
    )
      this.decide();
    return this.decided;
  }

  /**
   * The application's own LoggerService (pino, winston...), to be called as Nest's `Logger`
   * would call it (`log(message, context)`), without the Logger's per-line wrapping; undefined
   * while Nest buffers boot lines, and for Nest's ConsoleLogger or Logger (the Logger then picks
   * the instance). Valid for the levels last answered by `current()`.
   */
  direct(): LoggerService | undefined {
    return !state.isBufferAttached && state.staticInstanceRef === this.instance ? this.target : undefined;
  }

  private decide(): void {
    const instance = state.staticInstanceRef;
    this.instance = instance;
    // A falsy instance leaves `undefined` or `null` (both "no target"); Nest stores only objects there.
    this.target =
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, see above
      instance && typeof instance === 'object' && !(instance instanceof ConsoleLogger) && !(instance instanceof Logger)
        ? (instance as LoggerService)
        : undefined;
    this.levels = state.logLevels;
    this.console = instance instanceof ConsoleLogger ? instance : undefined;
    this.decided = decideAll(instance);
    // A ConsoleLogger fills in its default levels on its first answer: remember the array it holds now.
    this.own = this.console && ownLevels(this.console);
  }
}

function decideAll(instance: unknown): Record<LogLevel, boolean> {
  const table = {} as Record<LogLevel, boolean>;
  for (const level of LEVELS) table[level] = decide(instance, level);
  return table;
}

function decide(instance: unknown, level: LogLevel): boolean {
  if (!instance) return false;
  if (instance instanceof ConsoleLogger) return instance.isLevelEnabled(level);
  return state.logLevels === undefined || Logger.isLevelEnabled(level);
}

function ownLevels(logger: ConsoleLogger): unknown {
  return (logger as unknown as { options?: { logLevels?: unknown } }).options?.logLevels;
}
