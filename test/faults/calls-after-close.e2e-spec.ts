import { Redis } from 'ioredis';
import { AsyncError, JobEnqueueError, ServusExecutor } from 'nestjs-servus';
import { sleep } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { bootServus } from '../support/servus-app';
import { Echo, EchoModule } from '../support/echo-fixture';

/**
 * A call that comes after the application closed (a request still in flight during a graceful
 * shutdown, a background promise in a test): it must not open a new Redis connection that nothing
 * will close (the process, or jest, then never exits) nor send a job nobody consumes any more.
 */
describe('faults: calls after the application closed', () => {
  let server: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url());
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  const clients = async () =>
    String(await admin.call('CLIENT', 'LIST'))
      .trim()
      .split('\n').length;

  it('callAsync, status and cancel reject (typed) and open no connection once the app is closed', async () => {
    const app = await bootServus({ connection: { url: server.url() }, prefix: 'after-close' }, [EchoModule]);
    const executor = app.get(ServusExecutor);
    const receipt = await executor.callAsync(Echo, { n: 0 });
    await app.close();
    await sleep(100);
    const before = await clients();

    const late = executor.callAsync(Echo, { n: 1 });
    await expect(late).rejects.toBeInstanceOf(JobEnqueueError);
    // Said as it is: this process shut down, not Redis refusing the job.
    await expect(late).rejects.toThrow(
      'Could not enqueue faults.echo: the application is shut down: Servus sends nothing to Redis any more',
    );
    await expect(executor.status(receipt)).rejects.toBeInstanceOf(AsyncError);
    await expect(executor.cancel(receipt)).rejects.toBeInstanceOf(AsyncError);
    await sleep(100);
    expect(await clients()).toBe(before);
    expect(await admin.llen('after-close:default:wait')).toBe(1); // the job from before the close only
  });
});
