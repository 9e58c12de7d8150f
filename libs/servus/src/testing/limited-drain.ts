import { FlowKeys } from '../async/flow-control.port';
import { ServusObservers } from '../execution/servus-observers';
import { VirtualRateLimits } from '../flow/virtual-rate-limits';
import { ServiceDefinition } from '../service/service-definition';

/** What drainWithLimits needs of a pending call. */
export interface DrainableCall {
  jobId: string;
  queue: string;
  service: string;
  metadata: { flow?: FlowKeys };
  postponed: number;
}

/**
 * The order in which ServusTestQueue.drain() performs pending calls, with the flow limits applied:
 *
 * - calls run one at a time, in enqueue order (calls they enqueue join the end), so a concurrency
 *   limit is never exceeded and never holds a call back;
 * - rate limits count starts on a virtual clock: a call over its key's limit is postponed (reported to
 *   observers as `jobPostponed`, reason 'rate_limit', its `postponed` count raised) and the next call
 *   that may start runs instead; when none may, the clock jumps to the earliest time one may. No real
 *   time passes.
 */
export async function drainWithLimits<C extends DrainableCall>(
  pending: () => C[],
  perform: (call: C) => Promise<C>,
  definitionOf: (call: C) => ServiceDefinition | undefined,
  observers: ServusObservers,
): Promise<C[]> {
  const clock = new VirtualRateLimits();
  const postponedUntil = new Map<C, number>();
  const performed: C[] = [];
  for (let calls = pending(); calls.length; calls = pending()) {
    let earliest = Infinity;
    let next: C | undefined;
    for (const call of calls) {
      const definition = definitionOf(call);
      const at = definition && clock.tryStart(definition, call.metadata.flow);
      if (at === undefined) {
        next = call;
        break;
      }
      earliest = Math.min(earliest, at);
      if ((postponedUntil.get(call) ?? -1) > clock.now) continue; // already postponed past now: counted once
      postponedUntil.set(call, at);
      call.postponed++;
      const delayMs = at - clock.now;
      observers.jobPostponed({
        service: call.service,
        queue: call.queue,
        jobId: call.jobId,
        reason: 'rate_limit',
        delayMs,
      });
    }
    if (next) performed.push(await perform(next));
    else clock.now = earliest;
  }
  return performed;
}
