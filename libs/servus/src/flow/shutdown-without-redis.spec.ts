import { Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisServer } from '../../../../test/support/redis-server';
import { QueueNames } from '../async/queue-names';
import { ServusObservers } from '../execution/servus-observers';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { FlowStore, SHUTDOWN_WAIT_MS } from './flow-store';
import { RedisFlowControl } from './redis-flow-control';
import { sleep } from '../../../../test/support/redis-test-kit';

/** A redis-server of this spec's own, killed while a release waits for it. */
const limited = {
  name: 'limited',
  options: { async: { concurrency: { limit: 1, leaseMs: 10_000 } } },
} as ServiceDefinition;

describe('flow control shuts down within SHUTDOWN_WAIT_MS when Redis is gone', () => {
  let server: RedisServer;
  /** Flow control of the one limited service, on the spec's own Redis server. */
  const flowControl = () =>
    new RedisFlowControl(
      { connection: { host: '127.0.0.1', port: server.port } },
      new QueueNames({ prefix: 'flow-gone-spec' }),
      { definitions: () => [limited] } as unknown as ServiceRegistry,
      {} as ServusObservers,
    );
  beforeEach(async () => (server = await RedisServer.start()));
  afterEach(async () => {
    jest.restoreAllMocks();
    await server.stop();
  });

  it('FlowStore.close() gives up on a release Redis cannot answer, says so, and disconnects', async () => {
    const store = new FlowStore({ connection: { host: '127.0.0.1', port: server.port } }, 'flow-gone-spec');
    const keys = store.keyNames('svc', 'k');
    // limit 1, lease 10 s, no rate.
    await store.acquire(keys, 'default:1', 'default:1:t1', [1, 10_000, 0, 0, 0, 300_000]);
    await server.kill();
    void store.release(keys, 'default:1:t1', 1, 10_000).catch(() => undefined);
    const t0 = performance.now();
    await expect(store.close()).resolves.toBe(false);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(SHUTDOWN_WAIT_MS - 1);
    expect(elapsed).toBeLessThan(SHUTDOWN_WAIT_MS + 1000);
    expect((store as unknown as { client?: unknown }).client).toBeUndefined();
  }, 10_000);

  it('onApplicationShutdown() with a release under way settles within SHUTDOWN_WAIT_MS and warns once', async () => {
    const flow = flowControl();
    const ticket = await flow.admit(limited, { queueName: 'default', id: '1' } as Job, 'token-1', {});
    await server.kill();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const released = ticket.release();
    const t0 = performance.now();
    await flow.onApplicationShutdown();
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(SHUTDOWN_WAIT_MS - 1);
    expect(elapsed).toBeLessThan(SHUTDOWN_WAIT_MS + 1000);
    // The release itself settles (its command fails as the connection closes) without a second warning.
    await expect(Promise.race([released.then(() => 'settled'), sleep(1000).then(() => 'pending')])).resolves.toBe(
      'settled',
    );
    const flowWarnings = warn.mock.calls.filter(([message]) => String(message).startsWith('Flow control'));
    expect(flowWarnings).toEqual([
      [
        `Flow control: Redis did not answer the last releases within ${SHUTDOWN_WAIT_MS}ms; ` +
          'their slots free when their leases run out',
      ],
    ]);
  }, 10_000);

  it('a release that fails is logged: a warning the first time, then at debug level', async () => {
    const flow = flowControl();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const client = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      const tickets = [];
      for (const id of ['1', '2'])
        tickets.push(await flow.admit(limited, { queueName: 'default', id } as Job, `token-${id}`, { c: id }));
      // Each key's line holds a string (written by something else): each release fails in Redis.
      for (const id of ['1', '2']) await client.set(`flow-gone-spec:flow:limited:q:${id}`, 'not a sorted set');
      for (const ticket of tickets) await ticket.release();
      const failed = (id: string) =>
        `Flow control: a release failed (Flow control: key flow-gone-spec:flow:limited:q:${id} holds a string, ` +
        'not a sorted set); its slot frees when its lease runs out';
      expect(warn.mock.calls).toEqual([[`${failed('1')} (further ones are logged at debug level)`]]);
      expect(debug.mock.calls).toEqual([[failed('2')]]);
    } finally {
      client.disconnect();
      await flow.onApplicationShutdown();
    }
  });
});
