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

/**
 * Runs `call` with a signal that aborts at `timeoutMs` (or when the caller's own signal does),
 * and resolves to a ServiceTimeoutError failure at the deadline if `call` has not settled. The
 * service may go on in the background (cancellation is cooperative) but no longer holds its
 * caller, nor a worker's slot.
 */
export async function runWithDeadline(
  name: string,
  timeoutMs: number,
  context: CallContext | undefined,
  call: (context: CallContext) => unknown,
): Promise<unknown> {
  const controller = new AbortController();
  const outer = context?.signal;
  const follow = () => controller.abort(outer!.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener('abort', follow, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ServiceResponse>((resolve) => {
    timer = setTimeout(() => {
      const error = new ServiceTimeoutError(`${name} did not finish within ${timeoutMs}ms`);
      // Resolved before the abort: a service that rejects on abort (synchronously) must not win the race.
      resolve(ServiceResponse.failure(error));
      controller.abort(error);
    }, timeoutMs);
  });
  try {
    // race() observes both: a call that rejects after the deadline is not an unhandled rejection.
    return await Promise.race([call({ job: context?.job, signal: controller.signal }), deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', follow);
  }
}
