import { QueueNames } from '../async/queue-names';
import { ServusObservers } from '../execution/servus-observers';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { RedisFlowControl } from './redis-flow-control';

/** A definition with just what limitsOf reads. */
const service = (name: string, async?: Record<string, unknown>) => ({ name, options: { async } }) as ServiceDefinition;

function checkMsOf(...definitions: ServiceDefinition[]): number | undefined {
  const registry = { definitions: () => definitions } as unknown as ServiceRegistry;
  const flow = new RedisFlowControl({}, new QueueNames({}), registry, {} as ServusObservers);
  return flow.lostWakeupCheckMs();
}

describe('RedisFlowControl.lostWakeupCheckMs', () => {
  it('no service with limits: no look at all', () => {
    expect(checkMsOf()).toBeUndefined();
    expect(checkMsOf(service('plain'))).toBeUndefined();
  });

  it('a tenth of the lease, between 100 ms and 1 s; 1 s for rate limits only; the shortest over all services', () => {
    expect(checkMsOf(service('a', { concurrency: { limit: 1, leaseMs: 1000 } }))).toBe(100);
    expect(checkMsOf(service('b', { concurrency: { limit: 1, leaseMs: 3000 } }))).toBe(300);
    expect(checkMsOf(service('c', { concurrency: { limit: 1 } }))).toBe(1000); // the default lease, 30 s
    expect(checkMsOf(service('d', { rateLimit: { max: 5, per: '1s' } }))).toBe(1000);
    expect(
      checkMsOf(
        service('e', { rateLimit: { max: 5, per: '1s' } }),
        service('f', { concurrency: { limit: 1, leaseMs: 4000 } }),
        service('g', { concurrency: { limit: 2, leaseMs: 2500 } }),
      ),
    ).toBe(250);
  });
});
