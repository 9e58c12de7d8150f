import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { FlowStore, Verdict } from './flow-store';
import { RELEASE_DELAY_MS } from './flow-batch';

describe('FlowStore after shutdown', () => {
  it('a release asked for after close() (a body that outlived its deadline settling late) rejects and opens no connection', async () => {
    const store = new FlowStore({ connection: { host: '127.0.0.1', port: 1 } }, 'flow-spec');
    await store.close();
    const keys = store.keyNames('svc', 'k');
    await expect(store.release(keys, 'default:1:token', 1, 1000)).rejects.toThrow(
      'Flow control is shut down: its lease runs out by itself',
    );
    await expect(store.renew(keys.holders, 'default:1:token', 1000)).rejects.toThrow(
      'Flow control is shut down: its lease runs out by itself',
    );
    expect((store as unknown as { client?: unknown }).client).toBeUndefined();
  });
});

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
describe('FlowStore: one batch, one answer per caller', () => {
  const prefix = `flow-store-spec-${process.pid}`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  let store: FlowStore;
  // limit 1, lease 10 s, no rate, parked jobs look again after 300 s.
  const oneAtATime = [1, 10_000, 0, 0, 0, 300_000];

  beforeAll(() => redis.connect());
  beforeEach(() => (store = new FlowStore({ connection: { host: '127.0.0.1', port: 6379 } }, prefix)));
  afterEach(async () => {
    await store.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it('a release waits for the next acquire and shares its script call; alone, it goes after RELEASE_DELAY_MS', async () => {
    const first = store.keyNames('svc', 'first');
    const second = store.keyNames('svc', 'second');
    await store.acquire(first, 'default:8', 'default:8:t8', oneAtATime);
    const client = (store as unknown as { client: { servusFlowBatch(...args: unknown[]): Promise<unknown[]> } }).client;
    const calls = jest.spyOn(client, 'servusFlowBatch');
    const released = store.release(first, 'default:8:t8', 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(calls).not.toHaveBeenCalled();
    // The next job's acquire: one call carries both, the release first.
    await store.acquire(second, 'default:9', 'default:9:t9', oneAtATime);
    await released;
    expect(calls).toHaveBeenCalledTimes(1);
    expect(calls.mock.calls[0].slice(0, 9)).toEqual([6, first.holders, first.parked, ...Object.values(second), 2, 'r']);
    expect(await redis.exists(first.holders)).toBe(0);
    // A release alone is sent after at most RELEASE_DELAY_MS (plus timer slack).
    const t0 = performance.now();
    await store.release(second, 'default:9:t9', 1, 10_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(RELEASE_DELAY_MS - 1);
    expect(performance.now() - t0).toBeLessThan(RELEASE_DELAY_MS + 200);
    expect(calls).toHaveBeenCalledTimes(2);
    expect(await redis.exists(second.holders)).toBe(0);
  });

  it('close() sends the releases still waiting for an acquire before it disconnects', async () => {
    const keys = store.keyNames('svc', 'closing');
    await store.acquire(keys, 'default:10', 'default:10:t10', oneAtATime);
    const released = store.release(keys, 'default:10:t10', 1, 10_000);
    await store.close();
    await released;
    expect(await redis.exists(keys.holders)).toBe(0);
  });

  it('an operation that meets a key of the wrong type rejects only its own caller; the others of the batch are answered', async () => {
    const good = store.keyNames('svc', 'good');
    const bad = store.keyNames('svc', 'bad');
    const other = store.keyNames('svc', 'other');
    await redis.set(bad.holders, 'not a sorted set');
    // Asked for in one turn: one BATCH.
    const answers = await Promise.allSettled([
      store.acquire(good, 'default:1', 'default:1:t1', oneAtATime),
      store.acquire(bad, 'default:2', 'default:2:t2', oneAtATime),
      store.acquire(other, 'default:3', 'default:3:t3', oneAtATime),
    ]);
    expect(answers[0]).toEqual({ status: 'fulfilled', value: { outcome: 'granted', waitMs: 0, head: undefined } });
    expect(answers[1].status).toBe('rejected');
    expect(String((answers[1] as PromiseRejectedResult).reason)).toContain(
      `Flow control: key ${bad.holders} holds a string, not a sorted set`,
    );
    expect(answers[2]).toEqual({ status: 'fulfilled', value: { outcome: 'granted', waitMs: 0, head: undefined } });
    expect(await redis.zrange(good.holders, '0', '-1')).toEqual(['default:1:t1']);
    expect(await redis.zrange(other.holders, '0', '-1')).toEqual(['default:3:t3']);
  });

  it('an acquire that fails grants nothing: no lease is left behind for a caller that was told it failed', async () => {
    const keys = store.keyNames('svc', 'half');
    // The holders set is fine; the line is not: on main the grant was written before the line's key failed.
    await redis.set(keys.parked, 'not a sorted set');
    await expect(store.acquire(keys, 'default:4', 'default:4:t4', oneAtATime)).rejects.toThrow(
      `Flow control: key ${keys.parked} holds a string, not a sorted set`,
    );
    expect(await redis.exists(keys.holders)).toBe(0);
  });

  it('an acquire over the rate whose schedule key is of the wrong type fails having written nothing', async () => {
    const keys = store.keyNames('svc', 'both', 'both');
    // limit 1, lease 10 s; at most 1 start a minute (window 61.2 s, spacing 61.2 s).
    const limited = [1, 10_000, 1, 61_200, 61_200, 300_000];
    await store.acquire(keys, 'default:6', 'default:6:t6', limited);
    await store.release(keys, 'default:6:t6', 1, 10_000);
    await redis.zadd(keys.parked, 1, 'default:7');
    await redis.zadd(keys.holders, Date.now() + 10_000, 'default:7');
    await redis.rpush(keys.next, 'not a string');
    // default:7 was woken (a slot reserved for it) and is over the rate: the schedule is read before any write.
    await expect(store.acquire(keys, 'default:7', 'default:7:t7', limited)).rejects.toThrow(
      `Flow control: key ${keys.next} holds a list, not a string`,
    );
    expect(await redis.zrange(keys.holders, '0', '-1')).toEqual(['default:7']);
    expect(await redis.zrange(keys.parked, '0', '-1')).toEqual(['default:7']);
    expect(await redis.zcard(keys.starts)).toBe(1);
  });

  it('a job postponed for the rate is granted at its slot, ahead of the jobs postponed after it', async () => {
    // At most 1 start per 100 ms: window 150 ms (its 50 ms guard included), postponed starts spaced 150 ms.
    const rate = [0, 0, 1, 150, 150, 0];
    const keys = store.keyNames('svc', '', 'slot');
    expect((await store.acquire(keys, 'default:A', 'default:A:t', rate)).outcome).toBe('granted');
    const backlog: Verdict[] = [];
    for (const id of ['B', 'C', 'D']) backlog.push(await store.acquire(keys, `default:${id}`, `default:${id}:t`, rate));
    expect(backlog.map((verdict) => verdict.outcome)).toEqual(['rate_limit', 'rate_limit', 'rate_limit']);
    // B comes back when its delay is over, a few ms late as BullMQ's delayed set does: its slot is free.
    await new Promise((resolve) => setTimeout(resolve, backlog[0].waitMs + 3));
    const again = await store.acquire(keys, 'default:B', 'default:B:t2', rate);
    expect({ outcome: again.outcome, waitMs: again.waitMs }).toEqual({ outcome: 'granted', waitMs: 0 });
  });

  it("a start's entry in the rate window is the job and Redis's microsecond as an integer", async () => {
    const keys = store.keyNames('svc', '', 'entry');
    await store.acquire(keys, 'default:E', 'default:E:t', [0, 0, 1, 150, 150, 0]);
    const [entry] = await redis.zrange(keys.starts, '0', '-1');
    expect(entry).toMatch(/^default:E@\d{16}$/);
    expect(Math.abs(Number(entry.split('@')[1]) / 1000 - Date.now())).toBeLessThan(5_000);
  });

  it('an unknown operation code fails, named, with the operations after it; those before it run', async () => {
    const keys = store.keyNames('svc', 'unknown');
    const batched = (code: string, names: string[], args: (string | number)[]) =>
      (store as unknown as { batched(...all: unknown[]): Promise<unknown> }).batched(code, names, args);
    const answers = await Promise.allSettled([
      store.acquire(keys, 'default:U1', 'default:U1:t', oneAtATime),
      batched('x', [keys.holders], ['default:U2:t']),
      store.acquire(keys, 'default:U3', 'default:U3:t', oneAtATime),
    ]);
    expect(answers[0]).toEqual({ status: 'fulfilled', value: { outcome: 'granted', waitMs: 0, head: undefined } });
    for (const answer of answers.slice(1))
      expect(String((answer as PromiseRejectedResult).reason)).toContain('Flow control: unknown operation x');
    expect(await redis.zrange(keys.holders, '0', '-1')).toEqual(['default:U1:t']);
  });

  it('a release that fails pops nobody from the line and keeps its lease (it runs out by itself)', async () => {
    const keys = store.keyNames('svc', 'rel');
    await store.acquire(keys, 'default:5', 'default:5:t5', oneAtATime);
    await redis.set(keys.parked, 'not a sorted set');
    await expect(store.release(keys, 'default:5:t5', 1, 10_000)).rejects.toThrow(
      `Flow control: key ${keys.parked} holds a string, not a sorted set`,
    );
    expect(await redis.zrange(keys.holders, '0', '-1')).toEqual(['default:5:t5']);
  });

  it('a release whose woken job was removed while it waited passes the slot on: the next in line is put back in its queue', async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      const keys = store.keyNames('svc', 'removed');
      // Both wait in BullMQ's delayed set, as a parked job does (with the long timer of a job behind the head).
      const [gone, next] = await Promise.all([1, 2].map(() => queue.add('svc', {}, { delay: 300_000 })));
      await store.acquire(keys, 'default:H', 'default:H:t', oneAtATime);
      for (const job of [gone, next])
        expect((await store.acquire(keys, `default:${job.id}`, `default:${job.id}:t`, oneAtATime)).outcome).toBe(
          'concurrency',
        );
      await gone.remove();
      await store.release(keys, 'default:H:t', 1, 10_000);
      expect(await queue.getJobState(next.id!)).toBe('waiting');
      expect(await redis.zrange(keys.holders, '0', '-1')).toEqual([`default:${next.id}`]);
      expect(await redis.exists(keys.parked)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('a release that wakes a job arms the head of the line: should the woken job never claim its slot, the head looks again within the lease', async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      const keys = store.keyNames('svc', 'unclaimed');
      const [woken, next] = await Promise.all([1, 2].map(() => queue.add('svc', {}, { delay: 300_000 })));
      await store.acquire(keys, 'default:H', 'default:H:t', oneAtATime);
      for (const job of [woken, next])
        await store.acquire(keys, `default:${job.id}`, `default:${job.id}:t`, oneAtATime);
      await store.release(keys, 'default:H:t', 1, 10_000);
      expect(await queue.getJobState(woken.id!)).toBe('waiting');
      // The woken job is then fetched under other keys, or refused: its reservation runs out in 10 s, unclaimed.
      expect((await queue.getJob(next.id!))!.delay).toBeLessThanOrEqual(10_000);
    } finally {
      await queue.close();
    }
  });

  it("limit 2: a release that wakes a job keeps the head's time when it watches an earlier lease (a killed holder's)", async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      const keys = store.keyNames('svc', 'two');
      const twoAtATime = (leaseMs: number) => [2, leaseMs, 0, 0, 0, 300_000];
      // A never renews (its worker was killed): its lease ends within 1 s. B's runs 10 s.
      await store.acquire(keys, 'default:A', 'default:A:t', twoAtATime(1_000));
      await store.acquire(keys, 'default:B', 'default:B:t', twoAtATime(10_000));
      const [first, second] = await Promise.all([1, 2].map(() => queue.add('svc', {}, { delay: 300_000 })));
      for (const job of [first, second]) {
        const verdict = await store.acquire(keys, `default:${job.id}`, `default:${job.id}:t`, twoAtATime(10_000));
        expect(verdict.outcome).toBe('concurrency');
        await job.changeDelay(verdict.waitMs); // as postponing moves it: both watch the earliest lease, A's
      }
      await store.release(keys, 'default:B:t', 2, 10_000);
      expect(await queue.getJobState(first.id!)).toBe('waiting');
      // The second, now the head, still looks again when A's lease ends, not a whole lease later.
      expect((await queue.getJob(second.id!))!.delay).toBeLessThanOrEqual(1_000);
    } finally {
      await queue.close();
    }
  });

  it('a release Redis applied is answered as done even when the store closes before its woken job is put back', async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      const keys = store.keyNames('svc', 'closing');
      const job = await queue.add('svc', {}, { delay: 300_000 });
      await store.acquire(keys, 'default:H', 'default:H:t', oneAtATime);
      await store.acquire(keys, `default:${job.id}`, `default:${job.id}:t`, oneAtATime);
      const released = store.release(keys, 'default:H:t', 1, 10_000);
      await store.close();
      await expect(released).resolves.toBeUndefined();
      // The woken job holds the slot reserved for it; its own timer brings it back.
      expect(await redis.zrange(keys.holders, '0', '-1')).toEqual([`default:${job.id}`]);
    } finally {
      await queue.close();
    }
  });

  it("a release Redis applied is answered as done even when passing a removed job's reservation on fails", async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      const keys = store.keyNames('svc', 'gone');
      const job = await queue.add('svc', {}, { delay: 300_000 });
      await store.acquire(keys, 'default:H', 'default:H:t', oneAtATime);
      await store.acquire(keys, `default:${job.id}`, `default:${job.id}:t`, oneAtATime);
      await job.remove();
      // Redis answered the release, then the connection drops before the reservation goes on.
      jest.spyOn(store, 'passOn').mockRejectedValueOnce(new Error('Connection is closed.'));
      await expect(store.release(keys, 'default:H:t', 1, 10_000)).resolves.toBeUndefined();
    } finally {
      await queue.close();
    }
  });
});
