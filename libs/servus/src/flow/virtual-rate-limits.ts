import { FlowKeys } from '../async/flow-control.port';
import { ServiceDefinition } from '../service/service-definition';
import { limitsOf } from './flow-limits';

/**
 * Rate limits on a virtual clock, for the test queue's drain(): the same rule as in Redis (at most
 * `max` starts per key in any window of `per`), with time that moves only when nothing else can start.
 */
export class VirtualRateLimits {
  /** Virtual milliseconds since the drain began. */
  now = 0;
  private readonly starts = new Map<string, number[]>();

  /** Counts a start and answers undefined when the call may start now; else the virtual time it may start at. */
  tryStart(definition: ServiceDefinition, keys: FlowKeys | undefined): number | undefined {
    const rate = limitsOf(definition)?.rate;
    if (!rate) return undefined;
    const id = `${definition.name}\u0000${keys?.r ?? ''}`;
    const inWindow = (this.starts.get(id) ?? []).filter((at) => at > this.now - rate.perMs);
    this.starts.set(id, inWindow);
    if (inWindow.length >= rate.max) return inWindow[inWindow.length - rate.max] + rate.perMs;
    inWindow.push(this.now);
    return undefined;
  }
}
