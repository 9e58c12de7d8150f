import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  AsyncError,
  JobEnqueueError,
  ServusExecutor,
  ServusModuleOptions,
  TypeOrmOutboxStore,
  ValidationError,
} from 'nestjs-servus';
import { Echo, FixturesModule, Validated } from './fixtures/fixture-services';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { outboxDataSource, outboxRows } from '../support/outbox-db';
import { databaseOptions } from '../../libs/reports/src/database/database-options';
import { bootServus } from '../support/servus-app';

/** callAsync({ transaction }) in one process, on real PostgreSQL and Redis. The faults are in test/faults/outbox. */
describe('transactional enqueue (outbox)', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];
  let dataSource: DataSource;
  let prefix: string;
  let queue: Queue;

  async function boot(options: Partial<ServusModuleOptions> = {}, relay = false): Promise<ServusExecutor> {
    const app = await bootServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: relay && { pollMs: 200 } },
        ...options,
      },
      [FixturesModule],
    );
    apps.push(app);
    return app.get(ServusExecutor);
  }

  beforeAll(async () => {
    dataSource = await outboxDataSource();
  });
  beforeEach(() => {
    prefix = uniquePrefix('outbox');
    queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await queue.close();
    await deletePrefix(redis, prefix);
    await dataSource?.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
  });
  afterAll(async () => {
    await Promise.all([redis.quit(), dataSource?.destroy()]);
  });

  it('a committed call is a row until a relay moves it: status pending, then the job in Redis under the receipt id', async () => {
    const executor = await boot();
    const receipt = await dataSource.transaction(async (manager) => {
      const inside = await executor.callAsync(Echo, { n: 1 }, { transaction: manager });
      // Not committed: nobody else sees it.
      expect(await executor.status(inside)).toBeUndefined();
      return inside;
    });
    expect(receipt).toEqual({
      jobId: expect.stringMatching(/^outbox-[0-9a-f-]{36}$/),
      queue: 'default',
      service: 'fixtures.echo',
    });
    expect(await executor.status(receipt)).toMatchObject({ state: 'pending', attemptsMade: 0 });
    expect(await queue.getJob(receipt.jobId)).toBeUndefined();

    await boot({}, true); // a relay
    const job = await waitForJob(queue, receipt.jobId, ['waiting']);
    expect(job.name).toBe('fixtures.echo');
    expect(job.data).toMatchObject({ service: 'fixtures.echo', args: { n: 1 }, metadata: { v: 1 } });
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0, 10_000, 'the outbox empty');
    expect(await executor.status(receipt)).toMatchObject({ state: 'waiting' });
  });

  it('a rolled-back transaction leaves no row and, with a relay running, no job', async () => {
    const executor = await boot({}, true);
    let receipt: { jobId: string } | undefined;
    await expect(
      dataSource.transaction(async (manager) => {
        receipt = await executor.callAsync(Echo, { n: 2 }, { transaction: manager });
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow('the caller changed its mind');
    const marker = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { n: 3 }, { transaction: manager }),
    );
    await waitForJob(queue, marker.jobId, ['waiting', 'completed', 'active']);
    expect(await queue.getJob(receipt!.jobId)).toBeUndefined();
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0, 10_000, 'the outbox empty');
  });

  it('checks run at call time, inside the transaction, as for a direct callAsync', async () => {
    const executor = await boot();
    await dataSource.transaction(async (manager) => {
      await expect(
        executor.callAsync(Validated, { userId: 0, kind: 'weekly' } as never, { transaction: manager }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(executor.callAsync(Echo, { at: new Date() }, { transaction: manager })).rejects.toThrow(
        'Could not enqueue fixtures.echo: args.at is a Date: pass an ISO string (toISOString())',
      );
      await expect(executor.callAsync(Echo, {}, { transaction: manager, queue: 'nope' })).rejects.toThrow(
        'Could not enqueue fixtures.echo: queue "nope" is not one of the module\'s queues (default)',
      );
      await expect(executor.callAsync(Echo, {}, { transaction: manager, idempotencyKey: 'k' })).rejects.toThrow(
        'Could not enqueue fixtures.echo: idempotencyKey cannot be combined with transaction: pass jobId instead',
      );
      await expect(executor.callAsync(Echo, {}, { transaction: manager, jobId: 'a:b' })).rejects.toThrow(
        "Could not enqueue fixtures.echo: jobId must not contain ':' (BullMQ refuses it)",
      );
      await expect(executor.callAsync(Echo, {}, { transaction: manager, jobId: '42' })).rejects.toThrow(
        'jobId must not be an integer (BullMQ refuses it)',
      );
    });
    // Outside a transaction, or not a transaction at all: the application's mistake, not Redis or the database down.
    for (const transaction of [dataSource.manager, { id: 1 }])
      await expect(executor.callAsync(Echo, {}, { transaction })).rejects.toMatchObject({
        message:
          'Could not enqueue fixtures.echo: transaction is not an open transaction of the outbox store (TypeORM: the EntityManager dataSource.transaction() hands over)',
        kind: 'misconfigured',
      });
    expect(await outboxRows(dataSource, prefix)).toEqual([]);
  });

  it('without the outbox option, a call with transaction is refused, saying what to configure', async () => {
    const executor = await boot({ outbox: undefined });
    await dataSource.transaction(async (manager) => {
      const error = await executor.callAsync(Echo, {}, { transaction: manager }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobEnqueueError);
      expect((error as Error).message).toBe(
        'Could not enqueue fixtures.echo: callAsync with transaction needs the outbox: ServusModule options outbox: { store: new TypeOrmOutboxStore(dataSource) }',
      );
    });
  });

  it("the caller's jobId names the job, and the same jobId is enqueued once", async () => {
    const executor = await boot({}, true);
    const first = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { n: 1 }, { transaction: manager, jobId: 'order-7' }),
    );
    const again = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { n: 2 }, { transaction: manager, jobId: 'order-7' }),
    );
    expect(first.jobId).toBe('order-7');
    expect(again.jobId).toBe('order-7');
    const job = await waitForJob(queue, 'order-7', ['waiting']);
    await eventually(async () => (await outboxRows(dataSource, prefix)).length === 0);
    expect(((await queue.getJob('order-7'))!.data as { args: unknown }).args).toEqual(
      (job.data as { args: unknown }).args,
    );
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
  });

  it('cancel removes a pending row; status then knows no job', async () => {
    const executor = await boot();
    const receipt = await dataSource.transaction((manager) => executor.callAsync(Echo, {}, { transaction: manager }));
    expect(await executor.cancel(receipt)).toBe('removed');
    expect(await outboxRows(dataSource, prefix)).toEqual([]);
    expect(await executor.status(receipt)).toBeUndefined();
    expect(await executor.cancel(receipt)).toBe('not-found');
  });

  it('result() waits through the relay and the worker', async () => {
    const executor = await boot();
    const receipt = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { hello: 'outbox' }, { transaction: manager }),
    );
    await boot({ worker: { concurrency: 1 }, outbox: { store: new TypeOrmOutboxStore(dataSource) } }); // a worker: its relay is on by default
    expect(await executor.result(receipt, { timeoutMs: 15_000 })).toMatchObject({
      success: true,
      data: { hello: 'outbox' },
    });
  });

  it('callAsyncMany: items with a transaction go to the outbox, the others straight to Redis, receipts in order', async () => {
    const executor = await boot();
    const receipts = await dataSource.transaction((manager) =>
      executor.callAsyncMany([
        { service: Echo, args: { i: 0 }, options: { transaction: manager } },
        { service: Echo, args: { i: 1 } },
        { service: Echo, args: { i: 2 }, options: { transaction: manager, jobId: 'many-2' } },
      ]),
    );
    expect(receipts.map((receipt) => receipt.jobId)).toEqual([
      expect.stringMatching(/^outbox-/),
      expect.any(String),
      'many-2',
    ]);
    expect((await outboxRows(dataSource, prefix)).map((row) => row.job_id).sort()).toEqual(
      [receipts[0].jobId, 'many-2'].sort(),
    );
    expect(((await queue.getJob(receipts[1].jobId))!.data as { args: unknown }).args).toEqual({ i: 1 });
  });

  it('a wait counts from the call, not from the relay', async () => {
    const executor = await boot();
    const receipt = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, {}, { transaction: manager, wait: '1h' }),
    );
    const called = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await boot({}, true);
    const job = await waitForJob(queue, receipt.jobId, ['delayed']);
    expect(Math.abs(job.timestamp + job.delay - (called + 3_600_000))).toBeLessThan(250);
  });
});

/**
 * The outbox lookups of status, result and cancel on a database that stalls (its pool's only
 * connection held by a pg_sleep) or fails (its DataSource destroyed): bounded by the caller's
 * deadline, typed AsyncError, and skipped for ids no outbox row can have.
 */
describe('outbox lookups when the database stalls or fails', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];
  let prefix: string;
  let dataSource: DataSource;
  let executor: ServusExecutor;

  /** An error's class, message and whether its cause is kept, as one value to compare. */
  const shape = (error: unknown) => ({
    type: (error as Error)?.constructor?.name,
    message: (error as Error)?.message,
    hasCause: (error as Error)?.cause !== undefined,
  });
  const rejection = async (promise: Promise<unknown>) => {
    const started = performance.now();
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { ...shape(error), ms: performance.now() - started, isAsyncError: error instanceof AsyncError };
  };

  /** A worker and producer on the stalling DataSource, its outbox without a relay. */
  const bootStalled = async (options: ServusModuleOptions = {}): Promise<ServusExecutor> => {
    const app = await bootServus(
      {
        connection: { url: REDIS_URL },
        prefix,
        worker: true,
        enqueueTimeoutMs: 500,
        outbox: { store: new TypeOrmOutboxStore(dataSource), relay: false },
        ...options,
      },
      [FixturesModule],
    );
    apps.push(app);
    return app.get(ServusExecutor);
  };

  beforeEach(async () => {
    prefix = uniquePrefix('outbox-stall');
    // One connection: holding it stalls every other query of this DataSource, as an exhausted pool does.
    dataSource = await new DataSource({ ...databaseOptions(), extra: { max: 1 } }).initialize();
    executor = await bootStalled();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    if (dataSource?.isInitialized) {
      await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
      await dataSource.destroy();
    }
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  it('result(receipt, { timeoutMs: 300 }) rejects with AsyncError at 300 ms while the outbox query hangs; status and cancel within enqueueTimeoutMs', async () => {
    const receipt = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { n: 1 }, { transaction: manager }),
    );
    const held = dataSource.query('SELECT pg_sleep(4)');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the sleep has the connection
    try {
      const result = await rejection(executor.result(receipt, { timeoutMs: 300 }));
      const status = await rejection(executor.status(receipt));
      const cancel = await rejection(executor.cancel(receipt));
      expect([result, status, cancel].map(({ ms: _ms, ...rest }) => rest)).toEqual([
        {
          type: 'AsyncError',
          message: `Job ${receipt.jobId} (fixtures.echo) did not finish within 300ms: the outbox did not answer`,
          hasCause: false,
          isAsyncError: true,
        },
        {
          type: 'AsyncError',
          message: `Could not read the status of job ${receipt.jobId}: the outbox did not answer within 500ms`,
          hasCause: false,
          isAsyncError: true,
        },
        {
          type: 'AsyncError',
          message: `Could not cancel job ${receipt.jobId}: the outbox did not answer within 500ms`,
          hasCause: false,
          isAsyncError: true,
        },
      ]);
      // The deadline, plus slack for a loaded 2-core machine; never the 4 s the database holds.
      expect(result.ms).toBeGreaterThanOrEqual(295);
      expect(result.ms).toBeLessThan(300 + 1500);
      expect(status.ms).toBeLessThan(500 + 1500);
      expect(cancel.ms).toBeLessThan(500 + 1500);
    } finally {
      await held;
    }
  });

  it('ids no outbox row can have (BullMQ numbers, schedule runs) skip the database: answered while it hangs', async () => {
    const direct = await executor.callAsync(Echo, { n: 2 });
    expect(direct.jobId).toMatch(/^\d+$/);
    const held = dataSource.query('SELECT pg_sleep(4)');
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      const started = performance.now();
      const response = await executor.result(direct, { timeoutMs: 3000 });
      expect(response.success && response.data).toEqual({ n: 2 });
      expect((await executor.status(direct))?.state).toBe('completed');
      expect(await executor.status({ ...direct, jobId: 'repeat:nightly:1700000000000' })).toBeUndefined();
      expect(await executor.cancel({ ...direct, jobId: '999999' })).toBe('not-found');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await held;
    }
  });

  it('with signing keys, a direct job (id servus-<uuid>) is answered from Redis while the database hangs', async () => {
    const signed = await bootStalled({
      security: { signingKeys: [{ id: 'k1', secret: 'k1-secret-0123456789-0123456789-0123456789' }] },
    });
    const direct = await signed.callAsync(Echo, { n: 4 });
    expect(direct.jobId).toMatch(/^servus-[0-9a-f-]{36}$/);
    expect((await signed.result(direct, { timeoutMs: 5000 })).success).toBe(true);
    const held = dataSource.query('SELECT pg_sleep(4)');
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      const started = performance.now();
      expect((await signed.status(direct))?.state).toBe('completed');
      expect(await signed.cancel({ ...direct, jobId: 'servus-00000000-0000-4000-8000-000000000000' })).toBe(
        'not-found',
      );
      // Answers, not the outbox's AsyncError after 500 ms: the database was not asked (it holds for 4 s).
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await held;
    }
  });

  it('a failing database gives AsyncError with the driver error as its cause, never the raw error', async () => {
    const receipt = await dataSource.transaction((manager) =>
      executor.callAsync(Echo, { n: 3 }, { transaction: manager }),
    );
    await dataSource.destroy();
    const result = await rejection(executor.result(receipt, { timeoutMs: 300 }));
    const status = await rejection(executor.status(receipt));
    const cancel = await rejection(executor.cancel(receipt));
    expect([result, status, cancel].map(({ ms: _ms, ...rest }) => rest)).toEqual([
      {
        type: 'AsyncError',
        message: `Job ${receipt.jobId} (fixtures.echo) did not finish within 300ms: the outbox could not be read`,
        hasCause: true,
        isAsyncError: true,
      },
      {
        type: 'AsyncError',
        message: `Could not read the status of job ${receipt.jobId}: the outbox could not be read`,
        hasCause: true,
        isAsyncError: true,
      },
      {
        type: 'AsyncError',
        message: `Could not cancel job ${receipt.jobId}: the outbox could not be read`,
        hasCause: true,
        isAsyncError: true,
      },
    ]);
    expect(result.ms).toBeLessThan(300 + 1500);
  });
});
