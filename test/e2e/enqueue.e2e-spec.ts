import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  JobEnqueueError,
  ServiceNotFoundError,
  ServusExecutor,
  ServusModuleOptions,
  ValidationError,
} from 'nestjs-servus';
import { Echo, FixturesModule, Validated } from './fixtures/fixture-services';
import { freePort, SilentServer, silentServer } from '../support/free-port';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { bootServus } from '../support/servus-app';

/** The producer side of callAsync: what reaches Redis, and what is refused before it. */
describe('callAsync enqueueing', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];

  async function boot(options: ServusModuleOptions): Promise<ServusExecutor> {
    const app = await bootServus(options, [FixturesModule]);
    apps.push(app);
    return app.get(ServusExecutor);
  }

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => redis.quit());

  describe('with Redis up', () => {
    let prefix: string;
    let queue: Queue;
    let executor: ServusExecutor;

    beforeEach(async () => {
      prefix = uniquePrefix('enqueue');
      queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
      executor = await boot({ connection: { url: REDIS_URL }, prefix, queues: ['default', 'critical'] });
    });
    afterEach(async () => {
      await queue?.close();
      await deletePrefix(redis, prefix);
    });

    it('stores { service, args, metadata } with the options on the job, never in the arguments', async () => {
      const args = { id: 1, tags: ['a', 'b'] };
      const receipt = await executor.callAsync(Echo, args, {
        priority: 7,
        wait: 60_000,
        attempts: 5,
        backoff: { type: 'fixed', delay: 250 },
        jobOptions: { removeOnComplete: true },
      });
      const job = (await queue.getJob(receipt.jobId))!;
      expect(job.name).toBe('fixtures.echo');
      expect(job.data).toEqual({ service: 'fixtures.echo', args, metadata: { v: 1 } });
      expect(job.opts).toMatchObject({
        priority: 2_097_152 - 7,
        delay: 60_000,
        attempts: 5,
        backoff: { type: 'fixed', delay: 250 },
        removeOnComplete: true,
      });
      expect(await job.getState()).toBe('delayed');
    });

    it('stores a large payload from the text it was checked as: one serialisation, and later changes to the arguments stay out', async () => {
      // Over a sixth of the 512 KiB limit, the size is counted on the JSON text; BullMQ stores that text.
      const args = { id: 2, tags: ['x'.repeat(100_000), 'é'.repeat(10)] };
      const stringify = jest.spyOn(JSON, 'stringify');
      const pending = executor.callAsync(Echo, args);
      args.tags.push('added after the call');
      const receipt = await pending;
      const ofArgs = stringify.mock.calls.filter(([value]) => (value as { args?: unknown })?.args === args);
      stringify.mockRestore();
      expect(ofArgs).toHaveLength(1);
      const job = (await queue.getJob(receipt.jobId))!;
      expect(job.data).toEqual({
        service: 'fixtures.echo',
        args: { id: 2, tags: ['x'.repeat(100_000), 'é'.repeat(10)] },
        metadata: { v: 1 },
      });
      // Small ones are serialised by BullMQ as usual.
      const small = await executor.callAsync(Echo, { id: 3, tags: [] });
      expect((await queue.getJob(small.jobId))!.data).toEqual({
        service: 'fixtures.echo',
        args: { id: 3, tags: [] },
        metadata: { v: 1 },
      });
    });

    it('enqueues by registered name as well as by class', async () => {
      const receipt = await executor.callAsync('fixtures.echo', { by: 'name' });
      expect(receipt).toEqual({ jobId: expect.any(String), queue: 'default', service: 'fixtures.echo' });
      expect((await queue.getJob(receipt.jobId))!.data.args).toEqual({ by: 'name' });
    });

    it.each([
      ['a function', { cb: () => 1 }, 'args.cb is a function: pass data, not code'],
      ['a symbol', { s: Symbol('x') }, 'args.s is a symbol: pass a string'],
      ['a BigInt', { n: 10n }, 'args.n is a BigInt: pass a string or a number'],
      ['NaN', { ratio: NaN }, 'args.ratio is NaN: JSON has no NaN or Infinity'],
      ['Infinity', { list: [1, Infinity] }, 'args.list[1] is Infinity: JSON has no NaN or Infinity'],
      ['undefined', { a: { b: undefined } }, 'args.a.b is undefined: omit the key or pass null'],
      ['a Date', { range: { from: new Date() } }, 'args.range.from is a Date: pass an ISO string (toISOString())'],
      ['a Map', { m: new Map() }, 'args.m is a Map: pass a plain object or an array of entries'],
      ['a Set', { s: new Set([1]) }, 'args.s is a Set: pass an array'],
      [
        'a class instance',
        { at: new URL('http://x') },
        'args.at is an instance of URL: pass a plain object (or declare a DTO that rebuilds it)',
      ],
    ])('refuses %s, naming the path, and enqueues nothing', async (_, args, reason) => {
      const attempt = executor.callAsync('fixtures.echo', args);
      await expect(attempt).rejects.toThrow(JobEnqueueError);
      await expect(attempt).rejects.toThrow(`Could not enqueue fixtures.echo: ${reason}`);
      expect(await queue.count()).toBe(0);
    });

    it('refuses a cycle', async () => {
      const args: Record<string, unknown> = { id: 1 };
      args.self = { back: args };
      await expect(executor.callAsync('fixtures.echo', args)).rejects.toThrow('args.self.back is a circular reference');
    });

    it('refuses bad options with JobEnqueueError naming the option', async () => {
      /** One call per option: the rejection must be a JobEnqueueError and carry the message. */
      const refused = async (attempt: Promise<unknown>, message: RegExp) => {
        const error = await attempt.then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(JobEnqueueError);
        expect((error as Error).message).toMatch(message);
        // The call's own values: sending it again changes nothing (an HTTP app answers 422, not 503).
        expect((error as JobEnqueueError).kind).toBe('refused');
      };
      await refused(
        executor.callAsync(Echo, {}, { priority: 0 }),
        /^Could not enqueue fixtures\.echo: priority must be an integer from 1 to 2097151/,
      );
      await refused(
        executor.callAsync(Echo, {}, { wait: 'soon' }),
        /^Could not enqueue fixtures\.echo: .*"soon" is not a duration/,
      );
      await refused(
        executor.callAsync(Echo, {}, { wait: 1, waitUntil: new Date() }),
        /^Could not enqueue fixtures\.echo: .*either wait or waitUntil/,
      );
      await refused(
        executor.callAsync(Echo, {}, { attempts: 0 }),
        /^Could not enqueue fixtures\.echo: attempts must be an integer of at least 1/,
      );
      // Redis refuses `SET ... PX 1e+21` ('value is not an integer'): refused as the call's, before anything is sent.
      await refused(
        executor.callAsync(Echo, {}, { idempotencyKey: 'k', idempotencyTtl: 1e21 }),
        /^Could not enqueue fixtures\.echo: idempotencyTtl must be at most 100000000000000ms, got 1e\+21/,
      );
      await refused(
        executor.callAsyncMany([{ service: Echo, args: {}, options: { idempotencyKey: 'k', idempotencyTtl: 1e15 } }]),
        /^items\[0\]: Could not enqueue fixtures\.echo: idempotencyTtl must be at most 100000000000000ms/,
      );
      // Ids and raw options BullMQ itself refuses are refused before anything is sent.
      await refused(
        executor.callAsync(Echo, {}, { jobId: '12' }),
        /^Could not enqueue fixtures\.echo: jobId must not be an integer \(BullMQ refuses it\)/,
      );
      await refused(
        executor.callAsync(Echo, {}, { jobOptions: { jobId: 'a:b' } }),
        /^Could not enqueue fixtures\.echo: jobId must not contain ':' \(BullMQ refuses it\)/,
      );
      await refused(
        executor.callAsync(Echo, {}, { jobOptions: { priority: 1.5 } }),
        /^Could not enqueue fixtures\.echo: jobOptions\.priority must be an integer from 0 to 2097152/,
      );
      await refused(
        executor.callAsyncMany([{ service: Echo, args: {}, options: { jobId: '7' } }]),
        /^items\[0\]: Could not enqueue fixtures\.echo: jobId must not be an integer/,
      );
      expect(await queue.count()).toBe(0);
    });

    it('callAsyncMany enqueues a batch with addBulk, receipts in item order, across queues', async () => {
      const critical = new Queue('critical', { connection: { url: REDIS_URL }, prefix });
      try {
        const receipts = await executor.callAsyncMany([
          { service: Echo, args: { n: 0 } },
          { service: 'fixtures.echo', args: { n: 1 }, options: { queue: 'critical', priority: 3 } },
          { service: Validated, args: { userId: 1, kind: 'daily' } },
        ]);
        expect(receipts.map(({ queue, service }) => [queue, service])).toEqual([
          ['default', 'fixtures.echo'],
          ['critical', 'fixtures.echo'],
          ['default', 'fixtures.validated'],
        ]);
        expect((await queue.getJob(receipts[0].jobId))!.data.args).toEqual({ n: 0 });
        expect((await critical.getJob(receipts[1].jobId))!.opts.priority).toBe(2_097_152 - 3);
        expect((await queue.getJob(receipts[2].jobId))!.data.args).toEqual({ userId: 1, kind: 'daily', format: 'pdf' });
      } finally {
        await critical.close();
      }
    });

    it('callAsyncMany checks every item first: a bad one names its index and nothing is enqueued', async () => {
      const good = { service: Echo, args: { ok: true } };
      await expect(executor.callAsyncMany([good, good, { service: Echo, args: { at: new Date() } }])).rejects.toThrow(
        JobEnqueueError,
      );
      await expect(executor.callAsyncMany([good, good, { service: Echo, args: { at: new Date() } }])).rejects.toThrow(
        /^items\[2\]: Could not enqueue fixtures.echo: args.at is a Date/,
      );
      await expect(executor.callAsyncMany([good, { service: Validated, args: { userId: 0 } }])).rejects.toThrow(
        ValidationError,
      );
      await expect(executor.callAsyncMany([good, { service: Validated, args: { userId: 0 } }])).rejects.toThrow(
        /^items\[1\]: Invalid arguments for fixtures.validated/,
      );
      await expect(executor.callAsyncMany([{ service: 'nope' }, good])).rejects.toThrow(ServiceNotFoundError);
      await expect(executor.callAsyncMany([good, { service: Echo, options: { queue: 'elsewhere' } }])).rejects.toThrow(
        /^items\[1\]: Could not enqueue fixtures.echo: queue "elsewhere"/,
      );
      expect(await queue.count()).toBe(0);
    });

    it('idempotencyKey: 20 concurrent callers with one key enqueue one job and all get its receipt', async () => {
      const receipts = await Promise.all(
        Array.from({ length: 20 }, () => executor.callAsync(Echo, { n: 7 }, { idempotencyKey: 'invoice-7' })),
      );
      expect(new Set(receipts.map((receipt) => receipt.jobId)).size).toBe(1);
      expect(await queue.count()).toBe(1);
      const job = (await queue.getJob(receipts[0].jobId))!;
      expect(job.opts.deduplication).toEqual({ id: 'invoice-7', ttl: 24 * 3600 * 1000 });
      expect(job.data.args).toEqual({ n: 7 });
      // The same key with other arguments is a mistake (a reused invoice number), not the first call's receipt.
      await expect(executor.callAsync(Echo, { n: 8 }, { idempotencyKey: 'invoice-7' })).rejects.toThrow(
        new JobEnqueueError(
          'fixtures.echo',
          'idempotencyKey "invoice-7" was already used with different arguments (within its idempotencyTtl)',
        ),
      );
      // Concurrent callers with other arguments: one wins, every other one is refused.
      const racing = await Promise.allSettled(
        Array.from({ length: 10 }, (_, n) => executor.callAsync(Echo, { n }, { idempotencyKey: 'invoice-9' })),
      );
      expect(racing.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect(await queue.count()).toBe(2);
      const other = await executor.callAsync(Echo, { n: 99 }, { idempotencyKey: 'invoice-8', idempotencyTtl: '1s' });
      expect(other.jobId).not.toBe(receipts[0].jobId);
      // Past 2^31 - 1 ms: Redis's SET PX and BullMQ take it.
      const month = await executor.callAsync(Echo, { n: 30 }, { idempotencyKey: 'invoice-30', idempotencyTtl: '30d' });
      expect(await queue.getJob(month.jobId)).toBeDefined();
      await expect(executor.callAsync(Echo, {}, { idempotencyKey: '' })).rejects.toThrow(
        /idempotencyKey must be a non-empty string/,
      );
    });

    it('refuses an unknown service before touching Redis', async () => {
      await expect(executor.callAsync('fixtures.nope', {})).rejects.toThrow(ServiceNotFoundError);
    });
  });

  describe('with Redis unreachable', () => {
    let closedPort: number;
    let blackhole: SilentServer;
    let silentPort: number;

    beforeAll(async () => {
      // A port nothing listens on (refused), and one that accepts but never answers (hung).
      closedPort = await freePort();
      blackhole = await silentServer();
      silentPort = blackhole.port;
    });
    afterAll(async () => {
      await blackhole?.stop();
    });

    it('rejects with JobEnqueueError in under 2 s when the port is closed', async () => {
      const executor = await boot({ connection: { host: '127.0.0.1', port: closedPort } });
      const started = Date.now();
      const attempt = executor.callAsync(Echo, { id: 1 });
      await expect(attempt).rejects.toThrow(JobEnqueueError);
      await expect(attempt).rejects.toThrow(/Could not enqueue fixtures.echo: Redis did not take the job/);
      // Redis may take it later: retryable (an HTTP app answers 503), unlike a refused call.
      await expect(attempt).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('callAsyncMany rejects with JobEnqueueError too', async () => {
      const executor = await boot({ connection: { host: '127.0.0.1', port: closedPort } });
      const attempt = executor.callAsyncMany([{ service: Echo, args: {} }]);
      await expect(attempt).rejects.toThrow(/Could not enqueue fixtures.echo: Redis did not take the batch of 1/);
      await expect(attempt).rejects.toMatchObject({ kind: 'unavailable', retryable: true });
    });

    it('rejects within enqueueTimeoutMs when Redis accepts the connection but never answers', async () => {
      const executor = await boot({ connection: { host: '127.0.0.1', port: silentPort }, enqueueTimeoutMs: 500 });
      const started = Date.now();
      await expect(executor.callAsync(Echo, { id: 1 })).rejects.toThrow(JobEnqueueError);
      expect(Date.now() - started).toBeLessThan(1500);
    });
  });
});
