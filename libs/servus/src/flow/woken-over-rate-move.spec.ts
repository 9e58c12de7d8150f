import { INestApplication, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flow-woken-move-spec-${process.pid}`;
const SERVICE = 'flowrate.both';
const parkedOf = (key: string) => `${prefix}:flow:${SERVICE}:q:${key}`;
const ran: string[] = [];
/** The first job runs until the test lets it end (once the others are parked). */
let endFirst: () => void = () => undefined;
const firstMayEnd = new Promise<void>((resolve) => (endFirst = resolve));

@Service({
  name: SERVICE,
  async: {
    // A next in line left unwoken would wait for the lease: 30 s.
    concurrency: { limit: 1, leaseMs: 30_000, key: (args: { key: string }) => args.key },
    rateLimit: { max: 1, per: '2s', key: (args: { key: string }) => args.key },
  },
})
class Both extends ServiceBase<{ key: string; ms: number; tag: string }, null> {
  async call({ ms, tag }: { key: string; ms: number; tag: string }) {
    await (tag === 'first' ? firstMayEnd : sleep(ms));
    ran.push(tag);
    return this.success(null);
  }
}

@Module({ providers: [Both] })
class BothServices {}

describe('flow control: a woken job over the rate passes its slot on', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  let app: INestApplication;
  let executor: ServusExecutor;
  let queue: Queue;

  beforeAll(async () => {
    await redis.connect();
    const moduleRef = await compileServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 4 } },
      [BothServices],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
    queue = new Queue('default', { connection: redis, prefix });
  });

  afterAll(async () => {
    await queue?.close();
    await app?.close();
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('to the next in line even when its own move to the delayed set fails', async () => {
    await executor.callAsync(Both, { key: 'M', ms: 0, tag: 'first' });
    await eventually(async () => (await redis.exists(`${prefix}:flow:${SERVICE}:c:M`)) === 1, 2_000, 'first runs');
    for (const tag of ['woken', 'last']) {
      await executor.callAsync(Both, { key: 'M', ms: 1, tag });
      await eventually(
        async () => (await redis.zcard(parkedOf('M'))) === (tag === 'woken' ? 1 : 2),
        2_000,
        `${tag} parks`,
      );
    }
    // The woken job's move fails (its lock lost, Redis dropped the call): the next in line must still be woken.
    const move = jest.spyOn(Job.prototype, 'moveToDelayed').mockRejectedValueOnce(new Error('Missing lock'));
    endFirst();
    try {
      await eventually(async () => ran.includes('last'), 10_000, 'the last job ran');
    } finally {
      move.mockRestore();
    }
  }, 20_000);
});
