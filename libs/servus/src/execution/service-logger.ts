import { ExecutionModuleOptions } from './execution-options.interface';
import { Inject, Injectable, Logger, LogLevel } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServiceResponse } from '../response/service-response';
import { LogLevels } from './log-levels';
import { Redactor } from './redactor';
import { ServusContext } from './servus-context';
import { escapeLog, escapeStack } from '../util/escape-log';

/** What Nest's `Logger` would pass as the context of each line. */
const CONTEXT = 'Servus';

/**
 * Where a call runs, for its log lines (a worker's job: `job 7 on default, attempt 1/3`); undefined for a call in this
 * process. A function is called only when a line prints: most calls print none, and the text is built for nothing.
 */
export type CallLabel = string | (() => string);

/** How many characters of a call's arguments its debug line shows, unless `logging.maxArgsLength` says otherwise. */
export const DEFAULT_MAX_ARGS_LENGTH = 2000;

const OFF: Readonly<Record<LogLevel, boolean>> = Object.freeze({
  verbose: false,
  debug: false,
  log: false,
  warn: false,
  error: false,
  fatal: false,
});

/**
 * The pipeline's log lines, as Servus's Logger: the call (debug, redacted), then one
 * outcome line with the duration: success (info), failure (warn), exception (error).
 *
 * A line whose level is off is never built: the decision is Nest's levels, read once per call
 * (`begin`) and decided again only when they change (LogLevels); `logging: false` answers no at once.
 * The clock is read only for a line that will print. A line goes straight to the application's
 * own LoggerService when it has one (as Nest's Logger would pass it: message, then context).
 */
@Injectable()
export class ServiceLogger {
  private readonly logger = new Logger(CONTEXT);
  private readonly enabled: boolean;
  private readonly successLevel: 'log' | 'debug' | 'verbose';
  private readonly refusedLevel: 'error' | 'warn' | 'log' | 'debug';
  private readonly levels = new LogLevels();
  readonly redact: (value: unknown) => unknown;
  private readonly maxArgsLength: number;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: ExecutionModuleOptions, redactor: Redactor) {
    const logging = options.logging;
    this.enabled = logging !== false;
    this.successLevel = (logging && logging.successLevel) || 'log';
    this.refusedLevel = (logging && logging.invalidArgumentsLevel) || 'warn';
    this.redact = redactor.redact;
    this.maxArgsLength = (logging && logging.maxArgsLength) || DEFAULT_MAX_ARGS_LENGTH;
  }

  /** The levels as of the current call: read once per call by `begin()`, then only this table is consulted. */
  private on: Readonly<Record<LogLevel, boolean>> = OFF;
  /** Whether some outcome line may print under `on` (decided when `on` changes, not per call). */
  // Stryker disable next-line BooleanLiteral: equivalent (the first begin() decides it: no table is OFF itself)
  private timed = false;
  /** Whether the success line prints under `on` (decided with `timed`). */
  private successOn = false;

  /**
   * Reads Nest's levels for the call about to run (one check of three references; nothing at all
   * with `logging: false`), and answers whether an outcome line may be printed, so whether the
   * call needs its start time (false: no clock read).
   */
  begin(): boolean {
    if (!this.enabled) return false;
    const on = this.levels.current();
    // Stryker disable next-line ConditionalExpression: equivalent fast path (deciding again gives the same answer)
    if (on !== this.on) {
      this.on = on;
      this.successOn = on[this.successLevel];
      this.timed = this.successOn || on.warn || on[this.refusedLevel] || on.error;
    }
    return this.timed;
  }

  /** Whether `finished` prints a line for this response (if not, its duration need not be measured). */
  logsOutcome(response: ServiceResponse): boolean {
    return response.success ? this.successOn : this.on.warn;
  }

  /** The formatted context of each store: a store is a fresh copy per ServusContext.run and never changes. */
  private readonly formattedContexts = new WeakMap<object, string>();

  /** `reports.generate (job 7 on default) [correlationId=ab12 tenantId=7]`: where it runs and its context (redacted). */
  private subject(service: string, label: CallLabel | undefined): string {
    const where = typeof label === 'function' ? label() : label;
    const named = where ? `${service} (${where})` : service;
    const context = ServusContext.current();
    if (!context) return named;
    let formatted = this.formattedContexts.get(context);
    if (formatted === undefined) {
      // Context values come from outside (a header, a job): escaped, so they cannot start a line of their own.
      const pairs = Object.entries(this.redact(context) as Record<string, unknown>).map(
        ([key, value]) => `${escapeLog(key, 100)}=${escapeLog(value, 200)}`,
      );
      this.formattedContexts.set(context, (formatted = pairs.length ? ` [${pairs.join(' ')}]` : ''));
    }
    return named + formatted;
  }

  /** `label` says where the call runs (a worker's job), `undefined` for a call in this process. */
  called(service: string, label: CallLabel | undefined, args: unknown): void {
    // Redaction copies the arguments: only pay for it when debug lines are printed.
    if (!this.on.debug) return;
    const logged = escapeLog(safeStringify(this.redact(args)), this.maxArgsLength);
    this.write('debug', `${this.subject(service, label)} called with ${logged}`);
  }

  finished(service: string, label: CallLabel | undefined, response: ServiceResponse, ms: number): void {
    if (response.success) {
      if (this.successOn) this.write(this.successLevel, `${this.subject(service, label)} succeeded in ${format(ms)}`);
    } else if (this.on.warn) {
      const { code, message } = response.error.apiError();
      const described = escapeLog(`${response.error.name} (${code}) ${message}`);
      this.write('warn', `${this.subject(service, label)} failed in ${format(ms)}: ${described}`);
    }
  }

  /** Arguments refused by the contract: the caller's mistake, one line without a stack (warn by default). */
  refused(service: string, label: CallLabel | undefined, error: unknown, ms: number): void {
    if (this.refusedLevel === 'error') return this.raised(service, label, error, ms);
    if (!this.on[this.refusedLevel]) return;
    // The message quotes property names from outside (a request body, a job): escaped.
    const described = escapeLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    this.write(
      this.refusedLevel,
      `${this.subject(service, label)} refused its arguments after ${format(ms)}: ${described}`,
    );
  }

  raised(service: string, label: CallLabel | undefined, error: unknown, ms: number): void {
    if (!this.on.error) return;
    // An error's message may quote outside data (a property name in a ValidationError): escaped, stack included.
    const described = escapeLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    const message = `${this.subject(service, label)} raised ${described} after ${format(ms)}`;
    const direct = this.levels.direct();
    if (direct) direct.error(message, escapeStack(error), CONTEXT);
    else this.logger.error(message, escapeStack(error));
  }

  private write(level: 'verbose' | 'debug' | 'log' | 'warn', message: string): void {
    const direct = this.levels.direct();
    if (direct) direct[level]?.(message, CONTEXT);
    else this.logger[level](message);
  }
}

/** `0.42ms`, `9.99ms`, `12ms`: as `toFixed(2)` / `toFixed(0)` write them, without their cost (a third of a success line's). */
export function format(ms: number): string {
  if (!(ms < 10)) return Number.isFinite(ms) ? `${Math.round(ms)}ms` : `${ms}ms`;
  const hundredths = Math.round(ms * 100);
  const cents = hundredths % 100;
  return `${(hundredths - cents) / 100}.${cents < 10 ? '0' : ''}${cents}ms`;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
