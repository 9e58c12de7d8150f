import { INestApplication, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import { deletePrefix, eventually, sleep } from '../../../../test/support/redis-test-kit';
import { compileServus } from '../../../../test/support/servus-app';
import { FETCH_SCAN_MAX_BYTES, luaString } from './fetch-script';
import { FetchGrants } from './fetch-grants';
import { FetchSlots } from './fetch-slots';
import * as packedTokens from './packed-token';
import { RedisFlowControl } from './redis-flow-control';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `flowfetch-spec-${process.pid}`;
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const SERVICE = 'flowfetch.keyed';
const holdersOf = (key: string) => `${prefix}:flow:${SERVICE}:c:${key}`;

/** Each run: its key, start, end, and how many slots of its key were held while it ran. */
const runs: { key: string; start: number; end: number; held: number }[] = [];

@Service({
  name: SERVICE,
  async: { concurrency: { limit: 1, leaseMs: 5000, key: (args: { key: string }) => args.key } },
})
class Keyed extends ServiceBase<{ key: string; ms: number; pad?: string }, null> {
  async call({ key, ms }: { key: string; ms: number; pad?: string }) {
    const start = Date.now();
    const held = await redis.zcard(holdersOf(key));
    await sleep(ms);
    runs.push({ key, start, end: Date.now(), held });
    return this.success(null);
  }
}

/** Its lease is the shortest there is (1 s): a worker frozen for longer loses it. It runs 700 ms. */
@Service({
  name: 'flowfetch.short',
  async: { concurrency: { limit: 1, leaseMs: 1000, key: (args: { key: string }) => args.key } },
})
class ShortLease extends ServiceBase<{ key: string }, null> {
  async call({ key }: { key: string }) {
    const holders = `${prefix}:flow:flowfetch.short:c:${key}`;
    const start = Date.now();
    const held = await redis.zcard(holders);
    await sleep(700);
    // Still held at the end: the lease was renewed in time.
    runs.push({ key, start, end: Date.now(), held: Math.min(held, await redis.zcard(holders)) });
    return this.success(null);
  }
}

@Module({ providers: [Keyed, ShortLease] })
class KeyedServices {}

describe("flow control in the worker's fetch", () => {
  let app: INestApplication;
  let executor: ServusExecutor;
  /** The flow store's own script calls (acquires and releases that went in a call of their own). */
  let ownCalls: jest.SpyInstance;
  /** Slots asked for at admit (not taken by the fetch). */
  let asked: jest.SpyInstance;
  /** Flow control's store, to stand in for Redis's answer to a renewal. */
  let flowStore: { renew(...args: unknown[]): Promise<number> };

  beforeAll(async () => {
    await redis.connect();
    const moduleRef = await compileServus(
      { connection: { host: '127.0.0.1', port: 6379 }, prefix, worker: { concurrency: 10 } },
      [KeyedServices],
    );
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    executor = app.get(ServusExecutor);
    // Opened at boot: the fetch scripts were loaded through it.
    const flow: unknown = app.get(RedisFlowControl);
    const { store } = flow as {
      store: {
        client: Record<string, () => unknown>;
        acquire(): Promise<unknown>;
        renew(...args: unknown[]): Promise<number>;
      };
    };
    flowStore = store;
    ownCalls = jest.spyOn(store.client, 'servusFlowBatch');
    asked = jest.spyOn(store, 'acquire');
  });

  beforeEach(() => {
    runs.length = 0;
    ownCalls.mockClear();
    asked.mockClear();
  });

  afterAll(async () => {
    await app?.close();
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('an admitted job holds its slot from the call that fetched it, and frees it in the call that completes it', async () => {
    const tokens = jest.spyOn(packedTokens, 'packedToken');
    await executor.callAsyncMany(
      Array.from({ length: 60 }, (_, i) => ({ service: Keyed, args: { key: `k${i}`, ms: 2 } })),
    );
    await eventually(async () => runs.length === 60, 15_000, '60 runs');
    expect(runs.every((run) => run.held === 1)).toBe(true);
    await eventually(async () => (await redis.keys(`${prefix}:flow:*`)).length === 0, 2_000, 'every slot freed');
    // No job asked for its slot at admit, and no acquire or release needed a script call of its own.
    expect(asked).not.toHaveBeenCalled();
    expect(ownCalls).not.toHaveBeenCalled();
    // The worker read each fetch's lock token from BullMQ's packed options itself (the script did not unpack them).
    expect(tokens).toHaveBeenCalled();
    expect(tokens.mock.results.every(({ value }) => typeof value === 'string' && value.length > 0)).toBe(true);
    tokens.mockRestore();
  });

  it("a fetch whose token the worker cannot read still takes the slot: the script unpacks BullMQ's options", async () => {
    const tokens = jest.spyOn(packedTokens, 'packedToken').mockReturnValue('');
    try {
      await executor.callAsyncMany(
        Array.from({ length: 20 }, (_, i) => ({ service: Keyed, args: { key: `unread${i}`, ms: 2 } })),
      );
      await eventually(async () => runs.length === 20, 15_000, '20 runs');
      expect(tokens).toHaveBeenCalled();
    } finally {
      tokens.mockRestore();
    }
    expect(runs.every((run) => run.held === 1)).toBe(true);
    expect(asked).not.toHaveBeenCalled();
    await eventually(async () => (await redis.keys(`${prefix}:flow:*`)).length === 0, 2_000, 'every slot freed');
  });

  it('jobs of one key over the limit wait for the slot (asked for at admit) and never overlap', async () => {
    await executor.callAsyncMany(Array.from({ length: 6 }, () => ({ service: Keyed, args: { key: 'one', ms: 30 } })));
    await eventually(async () => runs.length === 6, 15_000, '6 runs');
    const sorted = [...runs].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
    expect(runs.every((run) => run.held === 1)).toBe(true);
    expect(asked).toHaveBeenCalled();
  });

  it('a job whose data is over FETCH_SCAN_MAX_BYTES asks for its slot at admit', async () => {
    const pad = 'x'.repeat(FETCH_SCAN_MAX_BYTES);
    await executor.callAsync(Keyed, { key: 'large', ms: 1, pad });
    await eventually(async () => runs.length === 1, 5_000, 'the large job ran');
    expect(runs[0].held).toBe(1);
    expect(asked).toHaveBeenCalledTimes(1);
  });

  it('a job refused before admit gives back the slot its fetch took: the next job of its key runs at once', async () => {
    const queue = new Queue('default', { connection: redis, prefix });
    try {
      // The fetch finds a job of the service with its key; the worker refuses it (no "args").
      await queue.add(SERVICE, { service: SERVICE, metadata: { v: 1, flow: { c: 'refused' } } }, { attempts: 1 });
      await eventually(async () => (await queue.getFailedCount()) === 1, 5_000, 'the job failed');
      const failedAt = Date.now();
      await executor.callAsync(Keyed, { key: 'refused', ms: 1 });
      await eventually(async () => runs.length === 1, 5_000, 'the next job of the key ran');
      // Well within the 5 s lease the refused job's slot would have held.
      expect(runs[0].start - failedAt).toBeLessThan(2_000);
    } finally {
      await queue.close();
    }
  });

  it.each([
    { frozenMs: 400, asks: 0, lost: false },
    { frozenMs: 960, asks: 0, lost: false },
    { frozenMs: 960, asks: 1, lost: true },
    { frozenMs: 1100, asks: 1, lost: false },
  ])(
    'a worker frozen $frozenMs ms of a 1 s lease between fetch and admit (slot lost: $lost): the job holds its slot while it runs',
    async ({ frozenMs, asks, lost }) => {
      // Up to two thirds of the lease gone, the fetch's slot is used (its first renewal comes in time); past that it is
      // renewed before the service runs; lost meanwhile (run out with its key; or, here, a renewal Redis applied whose
      // answer was lost), the job asks again, and never waits behind its own slot.
      const renew = flowStore.renew.bind(flowStore);
      const renewal = lost
        ? jest.spyOn(flowStore, 'renew').mockImplementationOnce(async (...args: unknown[]) => {
            await renew(...args);
            throw new Error('Connection is closed.');
          })
        : undefined;
      let thawed = 0;
      const take = FetchGrants.prototype.take;
      const frozen = jest.spyOn(FetchGrants.prototype, 'take').mockImplementationOnce(function (
        this: FetchGrants,
        ...args
      ) {
        // The event loop stops between the fetch and the admit (SIGSTOP, a long pause).
        const until = Date.now() + frozenMs;
        while (Date.now() < until);
        thawed = Date.now();
        return take.apply(this, args);
      });
      try {
        await executor.callAsync(ShortLease, { key: `frozen${frozenMs}${lost ? 'lost' : ''}` });
        await eventually(async () => runs.length === 1, 5_000, 'the job ran');
      } finally {
        frozen.mockRestore();
        renewal?.mockRestore();
      }
      expect(runs[0].held).toBe(1);
      expect(asked).toHaveBeenCalledTimes(asks);
      expect(runs[0].start - thawed).toBeLessThan(500);
    },
  );

  it('a worker whose BullMQ has no script runner to take part in fetches as BullMQ does', async () => {
    const slots = new FetchSlots(undefined as never, new Map());
    expect(await slots.join({ backend: {} } as never)).toBe(false);
  });
});

describe('luaString', () => {
  it('keeps plain characters and writes every other byte as a decimal escape', () => {
    expect(luaString('svc.name-1:{x}')).toBe('"svc.name-1:\\123x\\125"');
    expect(luaString('a"b\\é\n')).toBe('"a\\034b\\092\\195\\169\\010"');
  });
});

describe('FetchSlots: the grants of fetched jobs', () => {
  const LIMITS = new Map([[SERVICE, [1, 5000, 0, 0, 0, 0]]]);
  /** BullMQ's fetch answer with a grant for job 7 of `default` (for `attempt`), as the composed script sends it. */
  const reply = (attempt: string) => [[], [attempt, 'k', '', '', SERVICE], [['name', SERVICE], '7', 0, 0]];

  /** A FetchSlots on a worker whose every fetch answers `replies` in turn; `released`: the grants it gave back. */
  async function fetching(replies: unknown[][]) {
    const released: string[] = [];
    const store = {
      prefix,
      load: () => Promise.resolve(),
      ride: () => undefined,
      keyNames: (service: string, c: string) => ({ holders: `${service}:c:${c}` }),
      release: (_keys: unknown, holder: string) => (released.push(holder), Promise.resolve()),
    };
    const slots = new FetchSlots(store as never, LIMITS);
    const client = {
      defineCommand: () => undefined,
      // What BullMQ's client does with a script call; this one answers the next reply.
      runCommand: (_name: string, _args: unknown[]) => Promise.resolve(replies.shift()),
    };
    const backend = {
      execCommand: (via: typeof client, name: string, args: unknown[]) => via.runCommand(name, args),
    };
    expect(await slots.join({ backend, name: 'default' } as never)).toBe(true);
    const fetch = () =>
      backend.execCommand(
        client,
        'moveToActive',
        Array.from({ length: 11 }, () => 'x'),
      );
    return { slots, released, fetch };
  }

  it('a grant fetched again under the same attempt is kept: its lease, the same member in Redis, is not given back', async () => {
    const { slots, released, fetch } = await fetching([reply('tok:1'), reply('tok:1')]);
    await fetch();
    await fetch();
    expect(released).toEqual([]);
    expect(slots.claim('default', '7', 'tok:1', SERVICE, { c: 'k' })).toMatchObject({
      token: 'tok:1',
      c: 'k',
      service: SERVICE,
    });
  });

  it('a grant of an earlier attempt, never admitted, is given back when the job is fetched for another', async () => {
    const { slots, released, fetch } = await fetching([reply('tok:1'), reply('tok:2')]);
    await fetch();
    await fetch();
    expect(released).toEqual(['default:7:tok:1']);
    expect(slots.claim('default', '7', 'tok:1', SERVICE, { c: 'k' })).toBeUndefined();
    expect(slots.claim('default', '7', 'tok:2', SERVICE, { c: 'k' })).toMatchObject({ token: 'tok:2' });
  });
});
