import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueNames } from '../async/queue-names';
import { ServusObservers } from '../execution/servus-observers';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { FlowStore } from './flow-store';
import { RedisFlowControl } from './redis-flow-control';

/** Blocks this process's event loop, as a loaded machine does between a grant and the service's first line. */
function stall(ms: number): void {
  for (const until = Date.now() + ms; Date.now() < until;);
}

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
describe('rate limit: a start counts from when its service runs, not from its grant', () => {
  const prefix = `rate-start-spec-${process.pid}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  // One start a second (window 1020 ms with its guard).
  const rated = { name: 'rated', options: { async: { rateLimit: { max: 1, per: '1s' } } } } as ServiceDefinition;
  const registry = { definitions: () => [rated] } as unknown as ServiceRegistry;
  let flow: RedisFlowControl;

  beforeAll(() => redis.connect());
  beforeEach(() => {
    flow = new RedisFlowControl(
      { connection: { host: '127.0.0.1', port: 6379 } },
      new QueueNames({ prefix }),
      registry,
      {} as ServusObservers,
    );
  });
  afterEach(async () => {
    await flow.onApplicationShutdown();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it('a worker that stalls 300 ms between the grant and the service pushes the next start back by as much', async () => {
    const ticket = await flow.admit(rated, { queueName: 'default', id: '1' } as Job, 'token-1', {});
    stall(300);
    ticket.started?.();
    // The next job of the window asks right then: it may start one window after the first service ran.
    const store = (flow as unknown as { store: FlowStore }).store;
    const verdict = await store.acquire(
      store.keyNames('rated'),
      'default:2',
      'default:2:token-2',
      [0, 0, 1, 1020, 1020, 0],
    );
    expect(verdict.outcome).toBe('rate_limit');
    expect(verdict.waitMs).toBeGreaterThanOrEqual(1000);
  });

  it('a start whose service ran at once keeps its grant time: the next waits one window from it', async () => {
    const ticket = await flow.admit(rated, { queueName: 'default', id: '3' } as Job, 'token-3', {});
    ticket.started?.();
    // Its start reached Redis; then the process stalls, and the next job asks.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const store = (flow as unknown as { store: FlowStore }).store;
    stall(300);
    const verdict = await store.acquire(
      store.keyNames('rated'),
      'default:4',
      'default:4:token-4',
      [0, 0, 1, 1020, 1020, 0],
    );
    expect(verdict.outcome).toBe('rate_limit');
    expect(verdict.waitMs).toBeLessThanOrEqual(1020 - 300);
  });
});
