import { Inject, Injectable, Optional } from '@nestjs/common';
import { ServiceTimeoutError } from '../response/http-errors';
import { ServiceResponse } from '../response/service-response';
import { CallContext } from '../service/call-context';
import { ServiceDefinition } from '../service/service-definition';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ExecutionModuleOptions } from './execution-options.interface';
import { parseDuration } from '../util/duration';

/**
 * Deadlines of calls: a service's `timeout`, else the module's `defaultTimeout`, resolved once
 * per service. A service without one costs a map read: no timer, no AbortController.
 */
@Injectable()
export class CallDeadlines {
  private readonly defaultMs: number;
  private readonly byDefinition = new WeakMap<ServiceDefinition, number>();

  constructor(@Optional() @Inject(SERVUS_MODULE_OPTIONS) options?: ExecutionModuleOptions) {
    this.defaultMs = options?.defaultTimeout === undefined ? 0 : parseDuration(options.defaultTimeout);
  }

  /** The deadline of a call of `definition` in ms; 0 when it has none. */
  timeoutOf(definition: ServiceDefinition): number {
    let ms = this.byDefinition.get(definition);
    if (ms === undefined) {
      const own = definition.options.timeout;
      ms = own === undefined ? this.defaultMs : parseDuration(own);
      this.byDefinition.set(definition, ms);
    }
    return ms;
  }
}

/** A deadline to run a call under. */
export interface Deadline {
  /** The service's name, for the timeout's message. */
  name: string;
  timeoutMs: number;
  /** The caller's context: its signal aborts the call too. */
  context?: CallContext;
  /**
   * Told when the call is still running at the deadline, with a promise that resolves once it settles:
   * a worker keeps what the run holds (its flow slot, its place among running jobs) until then.
   */
  overrun?: (settled: Promise<void>) => void;
}

/**
 * Runs `call` with a signal that aborts at `timeoutMs` (or when the caller's own signal does),
 * and resolves to a ServiceTimeoutError failure at the deadline if `call` has not settled. The
 * service may go on in the background (cancellation is cooperative) but no longer holds its
 * caller, nor a worker's BullMQ slot; `overrun` hears of it.
 */
export async function runWithDeadline(deadline: Deadline, call: (context: CallContext) => unknown): Promise<unknown> {
  const { name, timeoutMs, context } = deadline;
  const controller = new AbortController();
  const outer = context?.signal;
  const follow = () => controller.abort(outer!.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener('abort', follow, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const ended = new Promise<ServiceResponse>((resolve) => {
    timer = setTimeout(() => {
      const error = new ServiceTimeoutError(`${name} did not finish within ${timeoutMs}ms`);
      // Resolved before the abort: a service that rejects on abort (synchronously) must not win the race.
      resolve(ServiceResponse.failure(error));
      deadline.overrun?.(
        running!.then(
          () => undefined,
          () => undefined,
        ),
      );
      controller.abort(error);
    }, timeoutMs);
  });
  try {
    running = Promise.resolve(call({ job: context?.job, signal: controller.signal }));
    // race() observes both: a call that rejects after the deadline is not an unhandled rejection.
    return await Promise.race([running, ended]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', follow);
  }
}
