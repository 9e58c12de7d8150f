import { ExecutionModuleOptions } from './execution-options.interface';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServiceResponse } from '../response/service-response';
import { Redactor } from './redactor';
import { ServusContext } from './servus-context';
import { escapeLog, escapeStack } from '../util/escape-log';

/** How many characters of a call's arguments its debug line shows, unless `logging.maxArgsLength` says otherwise. */
export const DEFAULT_MAX_ARGS_LENGTH = 2000;

/**
 * The pipeline's log lines, as Servus's Logger: the call (debug, redacted), then one
 * outcome line with the duration: success (info), failure (warn), exception (error).
 */
@Injectable()
export class ServiceLogger {
  private readonly logger = new Logger('Servus');
  private readonly enabled: boolean;
  private readonly successLevel: 'log' | 'debug' | 'verbose';
  private readonly refusedLevel: 'error' | 'warn' | 'log' | 'debug';
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

  /** The formatted context of each store: a store is a fresh copy per ServusContext.run and never changes. */
  private readonly formattedContexts = new WeakMap<object, string>();

  /** `reports.generate [correlationId=ab12 tenantId=7]`: the call's context (redacted) on each of its lines. */
  private subject(service: string): string {
    const context = ServusContext.current();
    if (!context) return service;
    let formatted = this.formattedContexts.get(context);
    if (formatted === undefined) {
      // Context values come from outside (a header, a job): escaped, so they cannot start a line of their own.
      const pairs = Object.entries(this.redact(context) as Record<string, unknown>).map(
        ([key, value]) => `${escapeLog(key, 100)}=${escapeLog(value, 200)}`,
      );
      this.formattedContexts.set(context, (formatted = pairs.length ? ` [${pairs.join(' ')}]` : ''));
    }
    return service + formatted;
  }

  called(service: string, args: unknown): void {
    // Redaction copies the arguments: only pay for it when debug lines are printed.
    if (this.enabled && isEnabled('debug')) {
      const logged = escapeLog(safeStringify(this.redact(args)), this.maxArgsLength);
      this.logger.debug(`${this.subject(service)} called with ${logged}`);
    }
  }

  finished(service: string, response: ServiceResponse, ms: number): void {
    if (!this.enabled) return;
    if (response.success) {
      if (isEnabled(this.successLevel))
        this.logger[this.successLevel](`${this.subject(service)} succeeded in ${format(ms)}`);
    } else {
      const { code, message } = response.error.apiError();
      const described = escapeLog(`${response.error.name} (${code}) ${message}`);
      this.logger.warn(`${this.subject(service)} failed in ${format(ms)}: ${described}`);
    }
  }

  /** Arguments refused by the contract: the caller's mistake, one line without a stack (warn by default). */
  refused(service: string, error: unknown, ms: number): void {
    if (!this.enabled) return;
    if (this.refusedLevel === 'error') return this.raised(service, error, ms);
    if (this.refusedLevel !== 'warn' && !isEnabled(this.refusedLevel)) return;
    // The message quotes property names from outside (a request body, a job): escaped.
    const described = escapeLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    this.logger[this.refusedLevel](`${this.subject(service)} refused its arguments after ${format(ms)}: ${described}`);
  }

  raised(service: string, error: unknown, ms: number): void {
    if (!this.enabled) return;
    // An error's message may quote outside data (a property name in a ValidationError): escaped, stack included.
    const described = escapeLog(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    this.logger.error(`${this.subject(service)} raised ${described} after ${format(ms)}`, escapeStack(error));
  }
}

let knownLevels: unknown = null;
const enabledLevels = new Map<string, boolean>();

/**
 * Nest 11 answers false for every level until levels are set, Nest 12 true: unset means all.
 * Cached per levels array (Nest replaces it when levels change): this runs twice per call.
 */
function isEnabled(level: 'log' | 'debug' | 'verbose'): boolean {
  const levels = (Logger as unknown as { logLevels?: unknown }).logLevels;
  if (levels !== knownLevels) {
    knownLevels = levels;
    enabledLevels.clear();
  }
  let enabled = enabledLevels.get(level);
  if (enabled === undefined) enabledLevels.set(level, (enabled = levels === undefined || Logger.isLevelEnabled(level)));
  return enabled;
}

function format(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 2 : 0)}ms`;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
