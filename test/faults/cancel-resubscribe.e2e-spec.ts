import { Injectable, Module } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Service, ServiceBase, CallContext, ServusExecutor } from 'nestjs-servus';
import { eventually, sleep } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { bootServus } from '../support/servus-app';

@Injectable()
class Started {
  count = 0;
}

/** Works for 4 s unless its signal aborts first. */
@Service({ name: 'cancel-resubscribe.work' })
class Work extends ServiceBase<Record<string, never>, string> {
  constructor(private readonly started: Started) {
    super();
  }
  async call(_args: Record<string, never>, context: CallContext) {
    const signal = context.signal!;
    this.started.count++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 4000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.success(signal.aborted ? 'stopped' : 'done');
  }
}

@Module({ providers: [Started, Work] })
class WorkModule {}

/**
 * Fault: the worker's cancellation subscriber loses its connection (a network blip, a proxy's idle
 * cut) and cancel() publishes while it reconnects: the message is lost. Once the subscriber is back,
 * the worker looks at its running jobs for cancel()'s mark, so the job still ends cancelled.
 */
describe('faults: cancel() while the worker re-subscribes', () => {
  let server: RedisServer;
  let admin: Redis;
  let app: TestingModule;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url());
    app = await bootServus({ connection: { url: server.url() }, prefix: 'cancel-resub', worker: true }, [WorkModule]);
  });

  afterAll(async () => {
    await app?.close();
    await admin?.quit();
    await server?.stop();
  });

  it('a cancellation published while the subscriber was cut off still cancels the running job', async () => {
    const executor = app.get(ServusExecutor);
    const receipt = await executor.callAsync(Work, {});
    await eventually(async () => app.get(Started).count === 1, 5000, 'the job to start');
    const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    expect(killed).toBe(1);
    expect(await executor.cancel(receipt)).toBe('cancelling');
    await eventually(async () => (await executor.status(receipt))?.state !== 'active', 8000, 'the job to end');
    await sleep(100);
    expect(await executor.status(receipt)).toMatchObject({
      state: 'cancelled',
      failedReason: 'Cancelled: cancelled by executor.cancel()',
    });
  }, 15_000);
});
