import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ServusExecutor, ServusModule, TypeOrmOutboxStore } from 'nestjs-servus';
import { databaseOptions } from '../libs/reports/src/database/database-options';
import {
  adminQueue,
  createBenchApp,
  env,
  inFlight,
  interleaveSamples,
  percentile,
  readyClient,
  RUN_PREFIX,
  sleep,
  summarizeAll,
  table,
  TargetResult,
  WORKER_OPTIONS,
} from './bench-kit';
import { ARGS, Noop } from './bench-services';

/**
 * Transactional enqueue against direct callAsync, on the same Redis and the example's PostgreSQL
 * (DATABASE_URL, else the local `test` database; its migrations are applied first).
 * Latency, idle: one job at a time, 5 ms apart, from just before the call (direct) or just before
 * COMMIT (outbox) to BullMQ's 'waiting' event for that job id, read by a QueueEvents; the relay runs
 * in this process, woken by LISTEN/NOTIFY. Throughput: N rows made visible to the relay in one
 * commit (an UPDATE of their scope, then NOTIFY) until the last is in the wait list; direct: N
 * callAsync, 50 in flight.
 */
const LAT_DIRECT = 'direct callAsync -> job in Redis';
const LAT_OUTBOX = 'outbox: COMMIT -> job in Redis (relay woken by NOTIFY)';
const THR_DIRECT = 'direct callAsync, 50 in flight';
const THR_RELAY = 'relay: committed rows -> jobs in Redis';
const GAP_MS = 5;

export async function runOutboxBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const perRound = env.n(100);
  const throughputN = env.n(5_000);
  const rounds = Math.min(env.rounds(), 5);
  const prefix = `${RUN_PREFIX}-outbox`;
  const dataSource = await new DataSource(databaseOptions()).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const connections: Redis[] = [];
  const admin = await adminQueue(prefix, connections, { paused: true });
  const eventsConnection = await readyClient(WORKER_OPTIONS);
  connections.push(eventsConnection);
  const events = new QueueEvents('default', { connection: eventsConnection, prefix });
  let app: INestApplicationContext | undefined;
  try {
    @Module({
      imports: [
        ServusModule.forRoot({
          prefix,
          queues: ['default'],
          logging: false,
          outbox: { store: new TypeOrmOutboxStore(dataSource), relay: { pollMs: 1000 } },
        }),
      ],
      providers: [Noop],
    })
    class OutboxBenchModule {}
    app = await createBenchApp(OutboxBenchModule);
    const executor = app.get(ServusExecutor);
    await events.waitUntilReady();
    const arrivals = new Map<string, (t: number) => void>();
    events.on('waiting', ({ jobId }) => arrivals.get(jobId)?.(performance.now()));
    const arrival = (jobId: string) =>
      new Promise<number>((resolve) => arrivals.set(jobId, (t) => (arrivals.delete(jobId), resolve(t))));

    let sequence = 0;
    const pooled: Record<string, number[]> = { [LAT_DIRECT]: [], [LAT_OUTBOX]: [] };
    const latencyRound = async (name: string, send: (jobId: string) => Promise<number>) => {
      const samples: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const jobId = `lat-${sequence++}`;
        const arrived = arrival(jobId);
        const sent = await send(jobId);
        samples.push((await arrived) - sent);
        await sleep(GAP_MS);
      }
      pooled[name].push(...samples);
      return percentile(samples, 50);
    };
    const direct = () =>
      latencyRound(LAT_DIRECT, async (jobId) => {
        const t = performance.now();
        await executor.callAsync(Noop, ARGS, { jobId });
        return t;
      });
    const outbox = () =>
      latencyRound(LAT_OUTBOX, async (jobId) => {
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        await executor.callAsync(Noop, ARGS, { jobId, transaction: runner.manager });
        const t = performance.now();
        await runner.commitTransaction();
        await runner.release();
        return t;
      });
    await direct();
    await outbox(); // warm-up
    pooled[LAT_DIRECT].length = pooled[LAT_OUTBOX].length = 0;
    const latency = summarizeAll(await interleaveSamples(rounds, { [LAT_DIRECT]: direct, [LAT_OUTBOX]: outbox }));
    await admin.obliterate({ force: true });

    const payload = JSON.stringify({ service: 'bench.noop', args: ARGS, metadata: { v: 1 } });
    const throughput = summarizeAll(
      await interleaveSamples(rounds, {
        [THR_DIRECT]: async () => {
          const ms = await inFlight(throughputN, 50, () => executor.callAsync(Noop, ARGS));
          await admin.obliterate({ force: true });
          return throughputN / (ms / 1000);
        },
        [THR_RELAY]: async () => {
          const ms = await relayDrain(dataSource, eventsConnection, prefix, throughputN, payload, sequence++);
          await admin.obliterate({ force: true });
          return throughputN / (ms / 1000);
        },
      }),
    );
    return report(latency, pooled, throughput, { perRound, rounds, throughputN });
  } finally {
    await app?.close();
    await events.close();
    await admin.obliterate({ force: true }).catch(() => undefined);
    await admin.close();
    await dataSource.query('DELETE FROM servus_outbox WHERE scope LIKE $1', [`${prefix}%`]);
    await dataSource.destroy();
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

/** Rows written under a scope no relay serves, then handed to the relay in one commit; ms until all are in the wait list. */
async function relayDrain(
  dataSource: DataSource,
  redis: Redis,
  prefix: string,
  n: number,
  payload: string,
  round: number,
): Promise<number> {
  const hold = `${prefix}-hold`;
  await dataSource.query(
    `INSERT INTO servus_outbox (scope, queue, job_id, name, payload, options)
     SELECT $1, 'default', 'thr-' || $2 || '-' || i, 'bench.noop', $3::json,
            json_build_object('jobId', 'thr-' || $2 || '-' || i, 'attempts', 3, 'removeOnComplete', 1000)
     FROM generate_series(1, $4) AS i`,
    [hold, round, payload, n],
  );
  const wait = `${prefix}:default:wait`;
  const t0 = performance.now();
  await dataSource.transaction(async (manager) => {
    await manager.query('UPDATE servus_outbox SET scope = $1 WHERE scope = $2', [prefix, hold]);
    await manager.query(`SELECT pg_notify('servus_outbox', '')`);
  });
  while ((await redis.llen(wait)) < n) await sleep(1);
  return performance.now() - t0;
}

function report(
  latency: ReturnType<typeof summarizeAll>,
  pooled: Record<string, number[]>,
  throughput: ReturnType<typeof summarizeAll>,
  sizes: { perRound: number; rounds: number; throughputN: number },
): { json: Record<string, unknown>; targets: TargetResult[] } {
  const stats = (values: number[]) => ({
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  });
  const direct = stats(pooled[LAT_DIRECT]);
  const outbox = stats(pooled[LAT_OUTBOX]);
  const line = (s: ReturnType<typeof stats>) => `all ${s.n} jobs: p50 ${s.p50.toFixed(2)}, p99 ${s.p99.toFixed(2)} ms`;
  console.log(
    table(
      `outbox latency, idle (${sizes.perRound} jobs one at a time a round, ${sizes.rounds} rounds; min/median/max of the rounds' p50)`,
      'ms',
      latency,
      { [LAT_DIRECT]: line(direct), [LAT_OUTBOX]: line(outbox) },
    ),
  );
  const ratio = throughput[THR_RELAY].median / throughput[THR_DIRECT].median;
  console.log(
    table(`outbox throughput (${sizes.throughputN} jobs a round, ${sizes.rounds} rounds)`, 'jobs/s', throughput, {
      [THR_RELAY]: `${ratio.toFixed(2)}x direct (medians)`,
    }),
  );
  return {
    json: { outbox: { latency: { direct, outbox, perRoundP50: latency }, throughput, relayVsDirect: ratio } },
    targets: [
      {
        target: 'outbox commit -> job in Redis p50 <= 20 ms (LISTEN/NOTIFY)',
        measured: `p50 ${outbox.p50.toFixed(2)} ms, p99 ${outbox.p99.toFixed(2)} ms (direct callAsync p50 ${direct.p50.toFixed(2)}, p99 ${direct.p99.toFixed(2)} ms); relay ${throughput[THR_RELAY].median.toFixed(0)} jobs/s vs direct ${throughput[THR_DIRECT].median.toFixed(0)} jobs/s`,
        pass: outbox.p50 <= 20,
      },
    ],
  };
}

if (require.main === module) {
  void runOutboxBench().then(({ json }) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
