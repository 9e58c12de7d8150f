import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { JobEnqueueError, ServusExecutor } from 'nestjs-servus';
import { sleep } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { bootServus } from '../support/servus-app';
import { Echo, EchoModule } from '../support/echo-fixture';

/**
 * Fault: Redis stops answering while callAsync's command is in flight (SIGSTOP: the connection stays
 * open), the caller is told JobEnqueueError at enqueueTimeoutMs, then Redis comes back (here a fresh
 * server on the same port; a healed network partition is the same to the client). The command must not
 * be sent again on the new connection: a job the caller was told failed would land late, and the
 * caller's retry would make it twice.
 */
describe('faults: callAsync never sends a job late', () => {
  let server: RedisServer;
  let app: TestingModule;

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('a callAsync that timed out while Redis was stopped is not re-sent once Redis is back', async () => {
    server = await RedisServer.start();
    // Reconnects 1.5 s after the drop, once the new server listens: the command in flight would be re-sent then (an
    // earlier attempt, refused, would drop it with the retry, and the check would pass by luck).
    app = await bootServus(
      {
        connection: { url: server.url(), retryStrategy: () => 1500 },
        prefix: 'never-late',
        enqueueTimeoutMs: 1000,
      },
      [EchoModule],
    );
    const executor = app.get(ServusExecutor);
    await executor.callAsync(Echo, { n: 0 }); // connected and ready
    process.kill(server.pid!, 'SIGSTOP');
    const error = await executor.callAsync(Echo, { n: 1 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JobEnqueueError);
    await server.restart();
    await sleep(3000); // ioredis reconnects after 1.5 s
    const admin = new Redis(server.url());
    try {
      expect(await admin.keys('never-late:*')).toEqual([]);
    } finally {
      await admin.quit();
    }
    // The producer still works on the new connection.
    await expect(executor.callAsync(Echo, { n: 2 })).resolves.toMatchObject({ queue: 'default' });
  }, 20_000);
});
