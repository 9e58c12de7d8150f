import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { RedisServer } from '../support/redis-server';
import { eventually } from '../support/redis-test-kit';

@Service({ name: 'connections.echo' })
class Echo extends ServiceBase<{ n: number }, { n: number }> {
  call({ n }: { n: number }) {
    return Promise.resolve(this.success({ n }));
  }
}

const QUEUES = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];

/** Connections a worker process opens, counted on a redis-server of this test's own (nobody else connects). */
describe('worker Redis connections', () => {
  let server: RedisServer;
  let admin: Redis;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url());
  });

  afterAll(async () => {
    await app?.close();
    await admin?.quit();
    await server?.stop();
  });

  /** Clients connected besides `admin`. */
  const others = async () => Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))![1]) - 1;

  it(`consuming ${QUEUES.length} queues: one blocking connection per queue plus two (shared commands, cancellations)`, async () => {
    @Module({
      imports: [
        ServusModule.forRoot({ connection: { url: server.url() }, queues: QUEUES, worker: true, logging: false }),
      ],
      providers: [Echo],
    })
    class WorkerModule {}
    app = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await eventually(async () => (await others()) === QUEUES.length + 2, 5_000, 'the worker connections');
    // Jobs on every queue run (each queue's Worker works on the shared connection), and the count holds.
    const executor = app.get(ServusExecutor);
    const receipts = await Promise.all(QUEUES.map((queue, n) => executor.callAsync(Echo, { n }, { queue })));
    await eventually(
      async () =>
        (await Promise.all(receipts.map((receipt) => executor.status(receipt)))).every((s) => s?.state === 'completed'),
      15_000,
      'every job completed',
    );
    // + the producer connection callAsync and status opened.
    expect(await others()).toBe(QUEUES.length + 3);
  });
});
