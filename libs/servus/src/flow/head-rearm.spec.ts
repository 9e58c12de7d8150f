import { INestApplication, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flow-head-rearm-spec-${process.pid}`;
const SERVICE = 'flowhead.two';
const holdersOf = (key: string) => `${prefix}:flow:${SERVICE}:c:${key}`;
const parkedOf = (key: string) => `${prefix}:flow:${SERVICE}:q:${key}`;
const started = new Map<string, number>();

@Service({
  name: SERVICE,
  async: { concurrency: { limit: 2, leaseMs: 10_000, key: (args: { key: string }) => args.key } },
})
class Two extends ServiceBase<{ key: string; ms: number; tag: string }, null> {
  async call({ ms, tag }: { key: string; ms: number; tag: string }) {
    started.set(tag, Date.now());
    await sleep(ms);
    return this.success(null);
  }
}

@Module({ providers: [Two] })
class TwoServices {}

describe('flow control: the head of a line keeps watching a killed holder', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  let app: INestApplication;
  let executor: ServusExecutor;

  beforeAll(async () => {
    await redis.connect();
    const moduleRef = await compileServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 4 } },
      [TwoServices],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
  });

  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('limit 2: once the woken job claims its slot, the head still takes the killed holder slot when its lease ends', async () => {
    // A holder whose worker was killed: its lease ends 3 s from now and is never renewed.
    const [s, us] = await redis.time();
    const deadUntil = Number(s) * 1000 + Math.floor(Number(us) / 1000) + 3_000;
    const deadAt = Date.now() + 3_000;
    await redis.zadd(holdersOf('K'), deadUntil, 'default:dead:t:1');
    await redis.pexpire(holdersOf('K'), 60_000);
    await executor.callAsync(Two, { key: 'K', ms: 1_000, tag: 'B' });
    await eventually(async () => started.has('B'), 2_000, 'B runs');
    // J1 and J2 park behind the dead holder and B (both among the first `limit`: both watch the dead lease).
    await executor.callAsync(Two, { key: 'K', ms: 9_000, tag: 'J1' });
    await eventually(async () => (await redis.zcard(parkedOf('K'))) === 1, 2_000, 'J1 parks');
    await executor.callAsync(Two, { key: 'K', ms: 1, tag: 'J2' });
    await eventually(async () => (await redis.zcard(parkedOf('K'))) === 2, 2_000, 'J2 parks');
    // B ends: J1 is woken and claims its slot; J2, now the head, must still look again when the dead lease ends.
    await eventually(async () => started.has('J1'), 3_000, 'J1 runs');
    await eventually(async () => started.has('J2'), Math.max(0, deadAt - Date.now()) + 2_500, 'J2 runs');
    expect(started.get('J2')! - started.get('J1')!).toBeLessThan(5_000);
  }, 30_000);
});
