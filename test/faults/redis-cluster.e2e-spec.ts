import { INestApplication, Module } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { CallContext, Service, ServiceBase, ServusExecutor, ServusModuleOptions } from 'nestjs-servus';
import { ServusHealthModule } from 'nestjs-servus/health';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { faultSummary, since } from '../support/fault-summary';
import { listenLocal } from '../support/free-port';
import { eventually, uniquePrefix } from '../support/redis-test-kit';
import { RedisServer } from '../support/redis-server';
import { compileServus } from '../support/servus-app';

@Service({ name: 'cluster.double' })
class Double extends ServiceBase<{ n: number }, { n: number }> {
  async call({ n }: { n: number }) {
    return this.success({ n: n * 2 });
  }
}

/** Runs until its call is cancelled (context.signal), so cancel() must cross the cluster's pub/sub. */
@Service({ name: 'cluster.wait-for-cancel' })
class WaitForCancel extends ServiceBase<Record<string, never>, null> {
  async call(_args: Record<string, never>, context?: CallContext) {
    await new Promise((resolve) => context!.signal!.addEventListener('abort', resolve, { once: true }));
    return this.success(null);
  }
}

/** Flow control on the cluster: one job per key at once, 100 starts a minute; records its runs in this process. */
const flowRuns: Array<{ key: string; start: number; end: number }> = [];
@Service({
  name: 'cluster.flow',
  async: { concurrency: { limit: 1, key: (args: { key: string }) => args.key }, rateLimit: { max: 100, per: '1m' } },
})
class ClusterFlow extends ServiceBase<{ key: string }, null> {
  async call({ key }: { key: string }) {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    flowRuns.push({ key, start, end: Date.now() });
    return this.success(null);
  }
}

@Module({ providers: [Double, WaitForCancel, ClusterFlow] })
class ClusterServices {}

/**
 * Servus on a real three-node Redis Cluster (own redis-servers, no replicas): the queues,
 * the worker, results, cancellation (pub/sub), metrics and health, with a hash-tagged
 * prefix; a prefix without one is refused at boot instead of failing later with CROSSSLOT.
 */
describe('faults: Redis Cluster', () => {
  const nodes: RedisServer[] = [];
  const prefix = `{${uniquePrefix('cluster')}}`;
  let app: INestApplication;
  let base: string;
  let connection: ServusModuleOptions['connection'];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      nodes.push(
        await RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
        ]),
      );
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    for (const node of nodes) {
      const client = new Redis(node.port, '127.0.0.1');
      await eventually(
        async () => /cluster_state:ok/.test(String(await client.cluster('INFO'))),
        15_000,
        `node ${node.port} cluster_state ok`,
      );
      client.disconnect();
    }
    connection = { cluster: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })) };
    const moduleRef = await compileServus(
      { connection, prefix, queues: ['default', 'low'], worker: { concurrency: 4, shutdownTimeoutMs: 2000 } },
      [
        ServusMetricsModule.forRoot({ registry: new Registry(), defaultMetrics: false }),
        ServusHealthModule.forRoot(),
        ClusterServices,
      ],
    );
    app = moduleRef.createNestApplication({ logger: false });
    base = await listenLocal(app);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('runs jobs, bulk and one at a time, on two queues; results, status, cancellation, metrics and health work', async () => {
    const executor = app.get(ServusExecutor);
    const started = performance.now();
    const one = await Promise.all(
      Array.from({ length: 20 }, (_, n) => executor.callAsync(Double, { n }, { queue: n % 2 ? 'low' : 'default' })),
    );
    const bulk = await executor.callAsyncMany(
      Array.from({ length: 30 }, (_, n) => ({ service: Double, args: { n: 100 + n } })),
    );
    const responses = await Promise.all(
      [...one, ...bulk].map((receipt) => executor.result<{ n: number }>(receipt, { timeoutMs: 10_000 })),
    );
    expect(responses.map((response) => response.success && response.data.n)).toEqual([
      ...Array.from({ length: 20 }, (_, n) => n * 2),
      ...Array.from({ length: 30 }, (_, n) => (100 + n) * 2),
    ]);
    expect(await executor.status(one[3])).toMatchObject({
      state: 'completed',
      response: { success: true, data: { n: 6 } },
    });

    // cancel() of a running job: the producer publishes, the worker's subscriber (another node, maybe) aborts it.
    const waiting = await executor.callAsync(WaitForCancel, {});
    await eventually(async () => (await executor.status(waiting))?.state === 'active', 5000, 'job active');
    expect(await executor.cancel(waiting)).toBe('cancelling');
    await eventually(async () => (await executor.status(waiting))?.state === 'cancelled', 5000, 'job cancelled');

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^servus_jobs_enqueued_total\{service="cluster.double",queue="default"\} 40$/m);
    expect(metrics).toMatch(/^servus_queue_jobs\{queue="default",state="completed"\} 40$/m);
    expect(metrics).toMatch(/^servus_queue_jobs\{queue="low",state="completed"\} 10$/m);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      details: {
        redis: { status: 'up' },
        worker: { status: 'up', queues: { default: 'consuming', low: 'consuming' } },
      },
    });

    // The hash tag puts every key of the prefix in one slot, so on one node.
    const holders: number[] = [];
    for (const node of nodes) {
      const client = new Redis(node.port, '127.0.0.1');
      const [, keys] = await client.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) holders.push(node.port);
      client.disconnect();
    }
    expect(holders).toHaveLength(1);
    faultSummary('Redis Cluster', `3 masters, prefix ${prefix}: 50 jobs on 2 queues, a cancel across pub/sub`, {
      completed: responses.length,
      holders: holders.length,
      ms: since(started),
    });
  }, 60_000);

  it('flow control: leases, parked lines and rate windows live in the prefix slot; no two jobs of a key overlap', async () => {
    const executor = app.get(ServusExecutor);
    const receipts = await executor.callAsyncMany(
      Array.from({ length: 18 }, (_, n) => ({ service: ClusterFlow, args: { key: `k${n % 3}` } })),
    );
    // The rate window (a minute) keeps its keys meanwhile: they must sit on the prefix's node.
    const flowKeys: Record<number, string[]> = {};
    await Promise.all(receipts.map((receipt) => executor.result(receipt, { timeoutMs: 20_000 })));
    for (const node of nodes) {
      const client = new Redis(node.port, '127.0.0.1');
      const [, keys] = await client.scan('0', 'MATCH', `${prefix}:flow:*`, 'COUNT', 1000);
      if (keys.length) flowKeys[node.port] = keys;
      client.disconnect();
    }
    const overlapping = flowRuns.filter((a) =>
      flowRuns.some((b) => a !== b && a.key === b.key && a.start < b.end && b.start < a.end),
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const postponed = /^servus_jobs_postponed_total\{service="cluster.flow",reason="concurrency"\} (\d+)$/m.exec(
      metrics,
    );
    faultSummary('Redis Cluster, flow control', `3 masters, prefix ${prefix}: 18 jobs on 3 keys, limit 1 per key`, {
      runs: flowRuns.length,
      overlapping: overlapping.length,
      nodesWithFlowKeys: Object.keys(flowKeys).length,
      postponed: postponed?.[1],
    });
    expect(flowRuns).toHaveLength(18);
    expect(overlapping).toEqual([]);
    expect(Object.values(flowKeys)).toHaveLength(1);
    expect(Object.values(flowKeys)[0]).toContain(`${prefix}:flow:cluster.flow:r:`);
    expect(Number(postponed?.[1])).toBeGreaterThan(0);
  }, 60_000);

  it('fails a job whose stored opts are not JSON at once: its lock is looked up in the prefix slot', async () => {
    const cluster = new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port })));
    const queue = new Queue('default', { connection: cluster, prefix });
    try {
      const job = await queue.add(
        'cluster.double',
        { service: 'cluster.double', args: { n: 1 }, metadata: { v: 1 } },
        {
          delay: 60_000,
        },
      );
      await cluster.hset(queue.toKey(job.id!), 'opts', '{not json');
      await job.promote();
      let state = await queue.getJobState(job.id!);
      for (const started = Date.now(); state !== 'failed' && Date.now() - started < 10_000;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await queue.getJobState(job.id!);
      }
      const failedReason = await cluster.hget(queue.toKey(job.id!), 'failedReason');
      faultSummary('Redis Cluster: opts that are not JSON', `job ${job.id} on ${prefix}`, { state, failedReason });
      expect(state).toBe('failed');
      expect(failedReason).toBe("Undecodable job payload: the job's stored opts is not JSON that BullMQ can read");
    } finally {
      await queue.close();
      cluster.disconnect();
    }
  }, 30_000);

  it('refuses a prefix without a hash tag at boot, naming the fix', async () => {
    const compiling = compileServus({ connection, prefix: 'plain' }, [ClusterServices]);
    await expect(compiling).rejects.toThrow(
      'ServusModule: with a Redis Cluster connection the prefix needs a hash tag, e.g. "{plain}" (got "plain")',
    );
  });
});
