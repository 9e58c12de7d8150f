import { INestApplication, Logger, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';
import { JobWaker } from './job-waker';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flow-postponed-spec-${process.pid}`;
const holdersOf = (service: string, key: string) => `${prefix}:flow:${service}:c:${key}`;
const parkedOf = (service: string, key: string) => `${prefix}:flow:${service}:q:${key}`;

/** When each job (by tag) started. */
const started = new Map<string, number>();
/** The tags of the jobs that ran, in order. */
const ran: string[] = [];
/** A job tagged `hold` runs until the test calls `let go` (so that others park behind it meanwhile). */
let letGo: () => void = () => undefined;
function holding(): Promise<void> {
  return new Promise<void>((resolve) => (letGo = resolve));
}

type Args = { key: string; ms: number; tag: string };
async function run({ ms, tag }: Args): Promise<void> {
  started.set(tag, Date.now());
  await (tag.startsWith('hold') ? holding() : sleep(ms));
  ran.push(tag);
}

const byKey = (args: { key: string }) => args.key;

/** Limit 1 and one start per 2 s a key; a next in line left unwoken would wait for the lease: 30 s. */
@Service({
  name: 'flowpostponed.both',
  async: { concurrency: { limit: 1, leaseMs: 30_000, key: byKey }, rateLimit: { max: 1, per: '2s', key: byKey } },
})
class Both extends ServiceBase<Args, null> {
  async call(args: Args) {
    await run(args);
    return this.success(null);
  }
}

@Service({ name: 'flowpostponed.one', async: { concurrency: { limit: 1, leaseMs: 30_000, key: byKey } } })
class One extends ServiceBase<Args, null> {
  async call(args: Args) {
    await run(args);
    return this.success(null);
  }
}

@Service({ name: 'flowpostponed.two', async: { concurrency: { limit: 2, leaseMs: 10_000, key: byKey } } })
class Two extends ServiceBase<Args, null> {
  async call(args: Args) {
    await run(args);
    return this.success(null);
  }
}

@Module({ providers: [Both, One, Two] })
class LimitedServices {}

describe('flow control: postponed jobs are woken', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  let app: INestApplication;
  let executor: ServusExecutor;
  let queue: Queue;

  /** Enqueues `tag` on `key` and waits until `parked` jobs wait in the key's line. */
  async function parks(service: typeof Both | typeof One | typeof Two, name: string, args: Args, parked: number) {
    const receipt = await executor.callAsync(service, args);
    await eventually(async () => (await redis.zcard(parkedOf(name, args.key))) === parked, 2_000, `${args.tag} parks`);
    return receipt;
  }

  beforeAll(async () => {
    await redis.connect();
    const moduleRef = await compileServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 4 } },
      [LimitedServices],
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

  // First: run after the other cases it passed even with the head armed a whole lease late.
  it('limit 2: once the woken job claims its slot, the head still takes a killed holder slot when its lease ends', async () => {
    // A holder whose worker was killed: its lease ends 3 s from now and is never renewed.
    const holders = holdersOf('flowpostponed.two', 'H');
    const [s, us] = await redis.time();
    await redis.zadd(holders, Number(s) * 1000 + Math.floor(Number(us) / 1000) + 3_000, 'default:dead:t:1');
    await redis.pexpire(holders, 60_000);
    const deadAt = Date.now() + 3_000;
    await executor.callAsync(Two, { key: 'H', ms: 1_000, tag: 'H-B' });
    await eventually(async () => started.has('H-B'), 2_000, 'B runs');
    // J1 and J2 park behind the dead holder and B (both among the first `limit`: both watch the dead lease).
    await parks(Two, 'flowpostponed.two', { key: 'H', ms: 9_000, tag: 'H-J1' }, 1);
    await parks(Two, 'flowpostponed.two', { key: 'H', ms: 1, tag: 'H-J2' }, 2);
    // B ends: J1 is woken and claims its slot; J2, now the head, must still look again when the dead lease ends.
    await eventually(async () => started.has('H-J1'), 3_000, 'J1 runs');
    await eventually(async () => started.has('H-J2'), Math.max(0, deadAt - Date.now()) + 2_500, 'J2 runs');
    expect(started.get('H-J2')! - started.get('H-J1')!).toBeLessThan(5_000);
  }, 30_000);

  it('a job whose line cannot be read after its move is postponed all the same: no error, one attempt, it runs once the slot frees', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    const parked = jest.spyOn(JobWaker.prototype, 'isParked').mockRejectedValueOnce(new Error('Connection is closed.'));
    const promoted = jest.spyOn(JobWaker.prototype, 'promote');
    try {
      await executor.callAsync(One, { key: 'P', ms: 0, tag: 'hold-P' });
      await eventually(async () => started.has('hold-P'), 2_000, 'the first runs');
      const second = await parks(One, 'flowpostponed.one', { key: 'P', ms: 1, tag: 'P2' }, 1);
      await eventually(async () => parked.mock.calls.length >= 1, 5_000, 'its line was looked at');
      // The unread line counts as popped: the job goes back to its queue at once (it asks again there), before any
      // release could wake it (the first job still holds the slot).
      const member = `${queue.name}:${second.jobId}`;
      await eventually(async () => promoted.mock.calls.some(([called]) => called === member), 2_000, 'it was promoted');
      letGo();
      await eventually(async () => ran.includes('P2'), 10_000, 'the second job ran');
      // One attempt: the one that ran (waiting used none).
      expect((await queue.getJob(second.jobId))?.attemptsMade).toBe(1);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      parked.mockRestore();
      promoted.mockRestore();
      errors.mockRestore();
    }
  }, 20_000);

  it('a woken job over the rate passes its slot on, even to a next in line removed while it waited', async () => {
    await executor.callAsync(Both, { key: 'K', ms: 0, tag: 'hold-K' });
    await eventually(async () => started.has('hold-K'), 2_000, 'the first runs');
    // Three jobs park behind it, in order (the last two with the long timer of a job behind the head).
    await parks(Both, 'flowpostponed.both', { key: 'K', ms: 1, tag: 'K-woken' }, 1);
    const removed = await parks(Both, 'flowpostponed.both', { key: 'K', ms: 1, tag: 'K-removed' }, 2);
    await parks(Both, 'flowpostponed.both', { key: 'K', ms: 1, tag: 'K-last' }, 3);
    await (await queue.getJob(removed.jobId))!.remove();
    // The first ends: the woken job is over the rate (1 start per 2 s), and gives its slot to the next in line.
    letGo();
    await eventually(async () => ran.includes('K-last'), 10_000, 'the last job ran');
    expect(ran.filter((tag) => tag.startsWith('K'))).toEqual(['K-woken', 'K-last']);
  }, 20_000);

  it('a woken job over the rate passes its slot on even when its own move to the delayed set fails', async () => {
    await executor.callAsync(Both, { key: 'M', ms: 0, tag: 'hold-M' });
    await eventually(async () => started.has('hold-M'), 2_000, 'the first runs');
    await parks(Both, 'flowpostponed.both', { key: 'M', ms: 1, tag: 'M-woken' }, 1);
    await parks(Both, 'flowpostponed.both', { key: 'M', ms: 1, tag: 'M-last' }, 2);
    // The woken job's move fails (its lock lost, Redis dropped the call): the next in line must still be woken.
    const move = jest.spyOn(Job.prototype, 'moveToDelayed').mockRejectedValueOnce(new Error('Missing lock'));
    letGo();
    try {
      await eventually(async () => ran.includes('M-last'), 10_000, 'the last job ran');
    } finally {
      move.mockRestore();
    }
  }, 20_000);
});
