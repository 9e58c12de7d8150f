import { INestApplication, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flow-woken-rate-spec-${process.pid}`;
const SERVICE = 'flowrate.both';
const parkedOf = (key: string) => `${prefix}:flow:${SERVICE}:q:${key}`;
const ran: string[] = [];
/** The first job runs until the test lets it end (once the others are parked and one removed). */
let endFirst: () => void = () => undefined;
const firstMayEnd = new Promise<void>((resolve) => (endFirst = resolve));

@Service({
  name: SERVICE,
  async: {
    concurrency: { limit: 1, leaseMs: 5000, key: (args: { key: string }) => args.key },
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

  it('to the next in line even when that one was removed while it waited: the key runs on within the rate', async () => {
    await executor.callAsync(Both, { key: 'K', ms: 0, tag: 'first' });
    await eventually(async () => (await redis.exists(`${prefix}:flow:${SERVICE}:c:K`)) === 1, 2_000, 'first runs');
    // Three jobs park behind it, in order (the last two with the long timer of a job behind the head).
    const waiting = [];
    for (const tag of ['woken', 'removed', 'last']) {
      waiting.push(await executor.callAsync(Both, { key: 'K', ms: 1, tag }));
      await eventually(async () => (await redis.zcard(parkedOf('K'))) === waiting.length, 2_000, `${tag} parks`);
    }
    await (await queue.getJob(waiting[1].jobId))!.remove();
    endFirst();
    // The first ends: the woken job is over the rate (1 start per 2 s), and gives its slot to the next in line.
    await eventually(async () => ran.includes('last'), 10_000, 'the last job ran');
    expect(ran).toEqual(['first', 'woken', 'last']);
  }, 20_000);
});
