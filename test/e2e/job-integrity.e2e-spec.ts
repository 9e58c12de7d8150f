import { INestApplicationContext, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  Emits,
  EventHandler,
  Invoke,
  JobEnqueueError,
  Service,
  ServiceBase,
  ServusExecutor,
  ServusModuleOptions,
  TypeOrmOutboxStore,
} from 'nestjs-servus';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, waitForJob } from '../support/redis-test-kit';
import { outboxDataSource } from '../support/outbox-db';
import { bootServus } from '../support/servus-app';

/** What a Servus job holds, as far as these tests read it. */
type JobData = { metadata: { signature?: { keyId: string; hmac: string } } };
const signatureOf = (job: Job) => (job.data as JobData).metadata.signature;

/** What ran, in this process: a refused job must leave no entry. */
const runs: Array<{ service: string; args: unknown }> = [];

@Service({ name: 'integrity.a' })
class ServiceA extends ServiceBase<Record<string, unknown>, null> {
  call(args: Record<string, unknown>) {
    runs.push({ service: 'integrity.a', args });
    return this.success(null);
  }
}

@Service({ name: 'integrity.b' })
class ServiceB extends ServiceBase<Record<string, unknown>, null> {
  call(args: Record<string, unknown>) {
    runs.push({ service: 'integrity.b', args });
    return this.success(null);
  }
}

@Service({ name: 'integrity.urgent', queue: 'critical' })
class Urgent extends ServiceBase<Record<string, unknown>, null> {
  call(args: Record<string, unknown>) {
    runs.push({ service: 'integrity.urgent', args });
    return this.success(null);
  }
}

@Service({ name: 'integrity.emitter' })
@Emits('integrity.happened', { on: 'success' })
class Emitter extends ServiceBase<{ n: number }, { n: number }> {
  call(args: { n: number }) {
    return this.success({ n: args.n });
  }
}

@EventHandler('integrity.happened')
class Happened {
  @Invoke(ServiceA, { async: true })
  toA(payload: { n: number }) {
    return { fromEvent: payload.n };
  }
}

@Module({ providers: [ServiceA, ServiceB, Urgent, Emitter, Happened] })
class IntegrityModule {}

const KEY_1 = { id: 'k1', secret: 'k1-secret-0123456789-0123456789-0123456789' };
const KEY_2 = { id: 'k2', secret: 'k2-secret-0123456789-0123456789-0123456789' };
const OTHER = { id: 'k1', secret: 'another-secret-under-the-same-id-0123456789' };

/**
 * A job runs only the service its name declares, on a queue that service allows, and, with
 * signing keys, only when this deployment signed it. Jobs are written by a raw BullMQ Queue, as
 * anyone who can write to Redis could; the worker runs in this process against the real Redis.
 */
describe('job integrity', () => {
  const redis = new Redis(REDIS_URL);
  const apps: INestApplicationContext[] = [];
  const rawQueues: Queue[] = [];
  let prefix: string;

  const boot = async (options: ServusModuleOptions = {}): Promise<ServusExecutor> => {
    const app = await bootServus(
      { connection: { url: REDIS_URL }, prefix, queues: ['default', 'critical'], ...options },
      [IntegrityModule],
    );
    apps.push(app);
    return app.get(ServusExecutor);
  };
  const raw = (name = 'default') => {
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
    rawQueues.push(queue);
    return queue;
  };
  /** A job written raw; resolves once it has finished, with its final state. */
  const writeRaw = async (queue: Queue, name: string, data: unknown) => {
    const job = await queue.add(name, data, { attempts: 3, backoff: 10 });
    const done = await waitForJob(queue, job.id!);
    return { job: done, state: await done.getState() };
  };

  beforeEach(() => {
    prefix = uniquePrefix('integrity');
    runs.length = 0;
  });
  afterEach(async () => {
    await Promise.all(rawQueues.splice(0).map((queue) => queue.close()));
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  it("refuses, without retry, a job whose name is not its payload's service (the board and metrics would show the other)", async () => {
    await boot({ worker: true });
    const { job, state } = await writeRaw(raw(), 'integrity.a', {
      service: 'integrity.b',
      args: { n: 1 },
      metadata: { v: 1 },
    });
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(
      'Job name "integrity.a" does not match its payload\'s service "integrity.b": a job runs only the service its name declares',
    );
    expect(runs).toEqual([]);
  });

  it('refuses a job on a queue its service does not declare, in the worker and at callAsync', async () => {
    const executor = await boot({ worker: true });
    const { job, state } = await writeRaw(raw('default'), 'integrity.urgent', {
      service: 'integrity.urgent',
      args: {},
      metadata: { v: 1 },
    });
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(
      'Refused: integrity.urgent runs on queue "critical" only (its @Service queue), not on "default"',
    );
    await expect(executor.callAsync(Urgent, {}, { queue: 'default' })).rejects.toThrow(
      new JobEnqueueError(
        'integrity.urgent',
        'integrity.urgent runs on queue "critical" only (its @Service queue), not on "default"',
      ),
    );
    // A service that declares no queue may be sent to any of the module's queues.
    const receipt = await executor.callAsync(ServiceA, { n: 2 }, { queue: 'critical' });
    expect(await (await waitForJob(raw('critical'), receipt.jobId)).getState()).toBe('completed');
    expect(runs).toEqual([{ service: 'integrity.a', args: { n: 2 } }]);
  });

  describe('with signing keys', () => {
    it('runs the jobs it signed; refuses unsigned, tampered, moved and foreign-signed ones without retry', async () => {
      const executor = await boot({ worker: true, security: { signingKeys: [KEY_1] } });
      const queue = raw();
      // Keys in another order, unicode, numbers: the signature survives the trip through Redis.
      const args = { z: [3, { b: 'é', a: 0.1 }], a: 1e21, m: null, '': 'empty key' };
      const receipt = await executor.callAsync(ServiceA, args);
      const signed = await waitForJob(queue, receipt.jobId);
      expect(await signed.getState()).toBe('completed');
      expect(signatureOf(signed)).toEqual({ keyId: 'k1', hmac: expect.stringMatching(/^[\w-]{43}$/) });

      const unsigned = await writeRaw(queue, 'integrity.a', { service: 'integrity.a', args, metadata: { v: 1 } });
      const tampered = await writeRaw(queue, 'integrity.a', { ...signed.data, args: { ...args, a: 2 } });
      const moved = await writeRaw(raw('critical'), 'integrity.a', signed.data);
      const renamed = await writeRaw(queue, 'integrity.b', { ...signed.data, service: 'integrity.b' });
      const foreign = await boot({ security: { signingKeys: [OTHER] } });
      const foreignReceipt = await foreign.callAsync(ServiceA, { n: 3 });
      const foreignJob = await waitForJob(queue, foreignReceipt.jobId);

      expect(
        [unsigned, tampered, moved, renamed].map(({ job, state }) => [state, job.attemptsMade, job.failedReason]),
      ).toEqual([
        ['failed', 1, 'Refused: unsigned job: this worker runs only jobs signed with its security.signingKeys'],
        [
          'failed',
          1,
          'Refused: signature does not match: the job was changed after it was signed, or signed with another secret',
        ],
        [
          'failed',
          1,
          'Refused: signature does not match: the job was changed after it was signed, or signed with another secret',
        ],
        [
          'failed',
          1,
          'Refused: signature does not match: the job was changed after it was signed, or signed with another secret',
        ],
      ]);
      expect(await foreignJob.getState()).toBe('failed');
      expect(foreignJob.failedReason).toMatch(/^Refused: signature does not match/);
      expect(runs).toEqual([{ service: 'integrity.a', args }]);
    });

    it('rotation: the first key signs, every key verifies; a key id the worker lacks is named', async () => {
      const worker = await boot({ worker: true, security: { signingKeys: [KEY_1, KEY_2] } });
      const rotated = await boot({ security: { signingKeys: [KEY_2, KEY_1] } });
      const unknownKey = await boot({ security: { signingKeys: [{ id: 'k9', secret: KEY_2.secret }] } });
      const queue = raw();

      const oldJob = await waitForJob(queue, (await worker.callAsync(ServiceA, { key: 'old' })).jobId);
      const newJob = await waitForJob(queue, (await rotated.callAsync(ServiceA, { key: 'new' })).jobId);
      const lostJob = await waitForJob(queue, (await unknownKey.callAsync(ServiceA, { key: 'lost' })).jobId);

      expect(signatureOf(oldJob)?.keyId).toBe('k1');
      expect(signatureOf(newJob)?.keyId).toBe('k2');
      expect([await oldJob.getState(), await newJob.getState()]).toEqual(['completed', 'completed']);
      expect(await lostJob.getState()).toBe('failed');
      expect(lostJob.failedReason).toBe('Refused: signed with key id "k9", which this worker does not have');
      expect(runs.map((run) => run.args)).toEqual([{ key: 'old' }, { key: 'new' }]);
    });

    it('signs bulk, scheduled and event-invoked jobs too: all run under a worker that requires signatures', async () => {
      const executor = await boot({ worker: true, security: { signingKeys: [KEY_1] } });
      const queue = raw();
      const bulk = await executor.callAsyncMany([
        { service: ServiceA, args: { from: 'bulk', n: 1 } },
        { service: 'integrity.b', args: { from: 'bulk', n: 2 } },
      ]);
      for (const receipt of bulk) expect(await (await waitForJob(queue, receipt.jobId)).getState()).toBe('completed');

      await executor.schedule(ServiceA, { from: 'schedule' }, { id: 'integrity-every', every: 200 });
      await eventually(
        () => Promise.resolve(runs.some((run) => (run.args as { from?: string }).from === 'schedule')),
        10_000,
      );
      const scheduler = await queue.getJobScheduler('integrity-every');
      expect((scheduler?.template?.data as JobData | undefined)?.metadata.signature).toEqual({
        keyId: 'k1',
        hmac: expect.any(String),
      });
      await executor.unschedule('integrity-every');

      expect((await executor.call(Emitter, { n: 7 })).success).toBe(true);
      await eventually(
        () => Promise.resolve(runs.some((run) => (run.args as { fromEvent?: number }).fromEvent === 7)),
        10_000,
      );

      const failed = await queue.getJobs(['failed']);
      expect(failed.map((job: Job) => job.failedReason)).toEqual([]);
      const completed = await queue.getJobs(['completed']);
      expect(completed.length).toBeGreaterThanOrEqual(4);
      expect(completed.map((job: Job) => signatureOf(job)?.keyId)).toEqual(completed.map(() => 'k1'));
      expect(runs.map((run) => run.service)).toEqual(
        expect.arrayContaining(['integrity.a', 'integrity.b', 'integrity.a', 'integrity.a']),
      );
    });

    it('binds the job id: a signed job copied under another id (a replay) is refused without retry, naming both ids', async () => {
      const executor = await boot({ worker: true, security: { signingKeys: [KEY_1] } });
      const queue = raw();
      const generated = await waitForJob(queue, (await executor.callAsync(ServiceA, { pay: 1 })).jobId);
      const custom = await waitForJob(
        queue,
        (await executor.callAsync(ServiceA, { pay: 2 }, { jobId: 'pay-2' })).jobId,
      );
      expect([await generated.getState(), await custom.getState()]).toEqual(['completed', 'completed']);

      // Someone with write access to Redis adds the signed data again: under an id of their choice, or BullMQ's next one.
      const underNewId = await queue.add('integrity.a', generated.data, { jobId: 'replay-1', attempts: 3 });
      const underNextId = await queue.add('integrity.a', custom.data, { attempts: 3 });
      const replays = [await waitForJob(queue, underNewId.id!), await waitForJob(queue, underNextId.id!)];
      expect(
        await Promise.all(replays.map(async (job) => [await job.getState(), job.attemptsMade, job.failedReason])),
      ).toEqual([
        [
          'failed',
          1,
          `Refused: signed for job id ${JSON.stringify(generated.id)}, not "replay-1": a signed job runs only under the id it was signed for`,
        ],
        [
          'failed',
          1,
          `Refused: signed for job id "pay-2", not ${JSON.stringify(underNextId.id)}: a signed job runs only under the id it was signed for`,
        ],
      ]);
      // A signature that binds no id (an older format) is refused before its HMAC is read.
      const { jobId: _bound, ...unbound } = (generated.data as { metadata: Record<string, unknown> }).metadata;
      const older = await writeRaw(queue, 'integrity.a', { ...generated.data, metadata: unbound });
      expect([older.state, older.job.attemptsMade, older.job.failedReason]).toEqual([
        'failed',
        1,
        'Refused: the signature binds no job id (signed by an older Servus): a signed job runs only under the id it was signed for',
      ]);
      expect(runs.map((run) => run.args)).toEqual([{ pay: 1 }, { pay: 2 }]);
    });

    it('binds the id of every path that signs: custom id, idempotency key, bulk, schedules (their runs), events', async () => {
      const executor = await boot({ worker: true, security: { signingKeys: [KEY_1] } });
      const queue = raw();
      const first = await executor.callAsync(ServiceA, { from: 'key' }, { idempotencyKey: 'pay-once' });
      const again = await executor.callAsync(ServiceA, { from: 'key' }, { idempotencyKey: 'pay-once' });
      expect(again.jobId).toBe(first.jobId);
      const bulk = await executor.callAsyncMany([
        { service: ServiceA, args: { from: 'bulk', n: 1 }, options: { jobId: 'bulk-1' } },
        { service: 'integrity.b', args: { from: 'bulk', n: 2 } },
      ]);
      expect(bulk[0].jobId).toBe('bulk-1');
      for (const receipt of [first, ...bulk])
        expect(await (await waitForJob(queue, receipt.jobId)).getState()).toBe('completed');

      await executor.schedule(ServiceA, { from: 'schedule' }, { id: 'pay-every', every: 200 });
      await eventually(async () => (await queue.getJobs(['completed'])).some((job) => job.id!.startsWith('repeat:')));
      await executor.unschedule('pay-every');
      const run = (await queue.getJobs(['completed'])).find((job) => job.id!.startsWith('repeat:pay-every:'))!;
      // A scheduler's template is signed once, for the runs of that scheduler: a copy outside them is refused.
      const copied = await waitForJob(queue, (await queue.add('integrity.a', run.data, { jobId: 'not-a-run' })).id!);
      const otherSchedule = await waitForJob(
        queue,
        (await queue.add('integrity.a', run.data, { jobId: 'repeat:other:1700000000000' })).id!,
      );
      expect([copied.failedReason, otherSchedule.failedReason]).toEqual([
        'Refused: signed for the runs of schedule "pay-every", not for job id "not-a-run": a signed job runs only under the id it was signed for',
        'Refused: signed for the runs of schedule "pay-every", not for job id "repeat:other:1700000000000": a signed job runs only under the id it was signed for',
      ]);

      expect((await executor.call(Emitter, { n: 8 })).success).toBe(true);
      await eventually(async () => runs.some((entry) => (entry.args as { fromEvent?: number }).fromEvent === 8));
      const failed = await queue.getJobs(['failed']);
      expect(failed.map((job) => job.id).sort()).toEqual(['not-a-run', 'repeat:other:1700000000000']);
      expect(runs.filter((entry) => (entry.args as { from?: string }).from === 'key')).toHaveLength(1);
    });

    it("binds the id the outbox fixes at commit: the relay's job runs, a copy of it does not", async () => {
      const dataSource = await outboxDataSource();
      try {
        const outbox = { store: new TypeOrmOutboxStore(dataSource), relay: { pollMs: 100 } };
        const executor = await boot({ worker: true, outbox, security: { signingKeys: [KEY_1] } });
        const queue = raw();
        const [single, many] = await dataSource.transaction(async (manager) => [
          await executor.callAsync(ServiceA, { from: 'outbox' }, { transaction: manager }),
          await executor.callAsyncMany([
            { service: ServiceA, args: { from: 'outbox-bulk' }, options: { transaction: manager } },
            { service: ServiceA, args: { from: 'direct-bulk' } },
          ]),
        ]);
        expect(single.jobId).toMatch(/^outbox-[0-9a-f-]{36}$/);
        expect(many[0].jobId).toMatch(/^outbox-[0-9a-f-]{36}$/);
        const relayed = await waitForJob(queue, single.jobId);
        expect(await relayed.getState()).toBe('completed');
        for (const receipt of many) expect(await (await waitForJob(queue, receipt.jobId)).getState()).toBe('completed');
        const copy = await waitForJob(queue, (await queue.add('integrity.a', relayed.data, { jobId: 'copy' })).id!);
        expect(copy.failedReason).toBe(
          `Refused: signed for job id ${JSON.stringify(single.jobId)}, not "copy": a signed job runs only under the id it was signed for`,
        );
        expect(runs.map((entry) => (entry.args as { from: string }).from).sort()).toEqual([
          'direct-bulk',
          'outbox',
          'outbox-bulk',
        ]);
      } finally {
        await dataSource.query('DELETE FROM servus_outbox WHERE scope = $1', [prefix]);
        await Promise.all(apps.splice(0).map((app) => app.close()));
        await dataSource.destroy();
      }
    });

    it.each([
      [[{ id: 'k1', secret: 'too-short' }], /security\.signingKeys "k1" needs a secret of at least 32 bytes/],
      [[KEY_1, { ...KEY_2, id: 'k1' }], /security\.signingKeys lists key id "k1" twice/],
      [[{ id: '', secret: KEY_1.secret }], /security\.signingKeys\[\]\.id must be a non-empty string/],
    ])('refuses bad keys at boot (%#)', async (signingKeys, message) => {
      await expect(boot({ security: { signingKeys } })).rejects.toThrow(message);
    });
  });
});
