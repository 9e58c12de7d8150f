import { Provider } from '@nestjs/common';
import { ServusModuleOptions } from './servus-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { MAX_DEPTH_CEILING } from '../async/payload-limits';
import { parseDuration } from '../util/duration';
import { carryProblem } from '../execution/context-limits';

/**
 * The numbers and lists of the module options, checked once the options are resolved (forRoot
 * or forRootAsync): a boot error naming the option, not an untyped BullMQ error or a timer that
 * fires at once (NaN) later.
 */
export function assertValidOptions(options: ServusModuleOptions): ServusModuleOptions {
  positive(options.enqueueTimeoutMs, 'enqueueTimeoutMs');
  if (options.logging) positive(options.logging.maxArgsLength, 'logging.maxArgsLength', true);
  if (options.contracts !== undefined && options.contracts !== 'optional' && options.contracts !== 'required')
    throw new Error(
      `ServusModule: contracts must be 'optional' or 'required', got ${JSON.stringify(options.contracts)}`,
    );
  duplicates(options.queues, 'queues');
  const carry = carryProblem(options.context?.carry);
  if (carry) throw new Error(`ServusModule: ${carry}`);
  if (options.defaultTimeout !== undefined && !isPositiveDuration(options.defaultTimeout))
    throw new Error(
      `ServusModule: defaultTimeout must be a positive duration, got ${JSON.stringify(options.defaultTimeout)}`,
    );
  positive(options.limits?.maxPayloadBytes, 'limits.maxPayloadBytes', true);
  positive(options.limits?.maxDepth, 'limits.maxDepth', true);
  positive(options.limits?.maxGlobalIds, 'limits.maxGlobalIds', true);
  if ((options.limits?.maxDepth ?? 0) > MAX_DEPTH_CEILING)
    throw new Error(
      `ServusModule: limits.maxDepth may be at most ${MAX_DEPTH_CEILING}, got ${options.limits!.maxDepth}`,
    );
  // Stryker disable next-line ConditionalExpression: equivalent: worker: true (or false) has no fields, and reading them from a boolean gives undefined, as from no worker object
  const worker = typeof options.worker === 'object' ? options.worker : undefined;
  if (worker) {
    positive(worker.concurrency, 'worker.concurrency', true);
    positive(worker.lockDurationMs, 'worker.lockDurationMs');
    positive(worker.stalledIntervalMs, 'worker.stalledIntervalMs');
    positive(worker.shutdownTimeoutMs, 'worker.shutdownTimeoutMs');
    const stalled = worker.maxStalledCount;
    if (stalled !== undefined && !(Number.isInteger(stalled) && stalled >= 0))
      throw new Error(`ServusModule: worker.maxStalledCount must be an integer >= 0, got ${String(stalled)}`);
    duplicates(worker.queues, 'worker.queues');
  }
  return options;
}

/** Nest builds every provider at boot: this one checks the resolved options then. */
export const OPTIONS_CHECK: Provider = {
  provide: Symbol('servus:options_checked'),
  useFactory: assertValidOptions,
  inject: [SERVUS_MODULE_OPTIONS],
};

function positive(value: number | undefined, name: string, integer = false): void {
  if (value === undefined) return;
  // Number.isFinite is false for anything that is not a number (a string, a BigInt): no typeof check needed.
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`ServusModule: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${shown(value)}`);
  }
}

function isPositiveDuration(value: number | string): boolean {
  try {
    return parseDuration(value) > 0;
  } catch {
    return false;
  }
}

/** The value as the error shows it; JSON.stringify throws on a BigInt and answers undefined for a function or symbol. */
function shown(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
}

function duplicates(list: readonly string[] | undefined, name: string): void {
  const seen = new Set<string>();
  // Stryker disable next-line ArrayDeclaration: equivalent: a list of one item has no duplicate
  for (const item of list ?? []) {
    if (seen.has(item)) throw new Error(`ServusModule: ${name} lists "${item}" twice`);
    seen.add(item);
  }
}
