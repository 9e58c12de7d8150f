import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { INestApplicationContext, Module } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { BullModule, Processor, WorkerHost } from '@nestjs/bullmq';
import { ServusExecutor } from 'nestjs-servus';
import {
  adminQueue,
  capturePayload,
  completions,
  CpuPerJob,
  createBenchApp,
  env,
  fmt,
  fmtRatio,
  interleaveSamples,
  JOB_OPTIONS,
  pairedRatio,
  quietAsyncLocalStorages,
  readyClient,
  RUN_PREFIX,
  servusWorkerApp,
  signed,
  summarizeAll,
  Summary,
  table,
  TargetResult,
  WORKER_OPTIONS,
} from './bench-kit';
import { ARGS, Noop } from './bench-services';

/**
 * Processing cost: a raw BullMQ Worker with a no-op processor vs the Servus worker
 * (ServusModule.forRoot({ worker: { concurrency } }), success logged at debug under
 * production levels) running a no-op service, and the peer a Nest team would write (a no-op
 * @nestjs/bullmq `WorkerHost`), at concurrency 10 and 50. Each round drains N
 * jobs enqueued beforehand (addBulk into a paused queue, not timed); the clock runs from
 * `queue.resume()` to the worker's N-th 'completed' event. Each case has its own prefix,
 * so the idle workers of the other cases only wait on their own empty queues. Every job,
 * raw or Servus, carries a copy of a payload `callAsync` stored.
 *
 * Two raw diagnostic cases at concurrency 10 put a number on what BullMQ and Node charge for
 * two things a Servus worker may do: a processor declaring (job, token, signal) gets an
 * AbortSignal per job; an AsyncLocalStorage entered in the process turns promise hooks on.
 * The plain raw cases run with every AsyncLocalStorage disabled (see quietAsyncLocalStorages).
 */

type Kind = 'raw' | 'raw-signal' | 'raw-als' | 'servus' | 'peer';

interface Case {
  kind: Kind;
  admin: Queue;
  worker: Worker;
  close: () => Promise<unknown>;
  app?: INestApplicationContext;
}

async function rawCase(kind: Kind, prefix: string, concurrency: number, connections: Redis[]): Promise<Case> {
  const connection = await readyClient(WORKER_OPTIONS);
  connections.push(connection);
  const processor =
    kind === 'raw-signal'
      ? async (_job: unknown, _token?: string, _signal?: AbortSignal) => undefined
      : async () => undefined;
  const worker = new Worker('default', processor, { connection, prefix, concurrency });
  worker.on('error', (error) => console.error(`raw worker: ${error.message}`));
  await worker.waitUntilReady();
  return { kind, admin: await adminQueue(prefix, connections, { paused: true }), worker, close: () => worker.close() };
}

async function servusCase(prefix: string, concurrency: number, connections: Redis[]): Promise<Case> {
  // Paused before the worker starts, so it finds nothing until the first round resumes it.
  const admin = await adminQueue(prefix, connections, { paused: true });
  const { app, worker } = await servusWorkerApp(prefix, concurrency, [Noop]);
  return { kind: 'servus', admin, worker, close: () => app.close(), app };
}

/**
 * The peer a Nest team would write by hand: a no-op `@Processor` `WorkerHost` of @nestjs/bullmq,
 * on the same Redis with the same worker connection options. Its Worker is read from the host.
 */
export async function peerWorkerApp(
  prefix: string,
  concurrency: number,
  onJob: (job: Job) => void = () => undefined,
): Promise<{ app: INestApplicationContext; worker: Worker }> {
  @Processor({ name: 'default' }, { concurrency })
  class NoopProcessor extends WorkerHost {
    process(job: Job): Promise<void> {
      onJob(job);
      return Promise.resolve();
    }
  }
  @Module({
    imports: [
      BullModule.forRoot({ connection: { url: env.redisUrl(), ...WORKER_OPTIONS } as never, prefix }),
      BullModule.registerQueue({ name: 'default' }),
    ],
    providers: [NoopProcessor],
  })
  class PeerModule {}
  const app = await createBenchApp(PeerModule);
  const worker = app.get(NoopProcessor).worker;
  await worker.waitUntilReady();
  return { app, worker };
}

async function peerCase(prefix: string, concurrency: number, connections: Redis[]): Promise<Case> {
  const admin = await adminQueue(prefix, connections, { paused: true });
  const { app, worker } = await peerWorkerApp(prefix, concurrency);
  return { kind: 'peer', admin, worker, close: () => app.close(), app };
}

const RAW_1 = 'raw Worker, no-op processor, concurrency 50';
const SRV_1 = 'Servus worker, no-op service, concurrency 50';
const PEER_1 = '@nestjs/bullmq WorkerHost, no-op, concurrency 50 (peer)';
const RAW_10 = 'raw Worker, no-op processor, concurrency 10';
const SRV_10 = 'Servus worker, no-op service, concurrency 10';
const PEER_10 = '@nestjs/bullmq WorkerHost, no-op, concurrency 10 (peer)';
const RAW_10_SIGNAL = 'diagnostic: raw Worker, processor (job, token, signal), concurrency 10';
const RAW_10_ALS = 'diagnostic: raw Worker, an AsyncLocalStorage entered, concurrency 10';

export async function runProcessBench(): Promise<{
  json: Record<string, unknown>;
  targets: TargetResult[];
  notes?: string[];
}> {
  const n = env.n(3_000);
  const connections: Redis[] = [];
  const cases: Record<string, Case> = {};
  const storage = new AsyncLocalStorage<{ bench: true }>();
  try {
    cases[RAW_1] = await rawCase('raw', `${RUN_PREFIX}-p50-raw`, 50, connections);
    cases[SRV_1] = await servusCase(`${RUN_PREFIX}-p50-srv`, 50, connections);
    cases[PEER_1] = await peerCase(`${RUN_PREFIX}-p50-peer`, 50, connections);
    cases[RAW_10] = await rawCase('raw', `${RUN_PREFIX}-p10-raw`, 10, connections);
    cases[SRV_10] = await servusCase(`${RUN_PREFIX}-p10-srv`, 10, connections);
    cases[PEER_10] = await peerCase(`${RUN_PREFIX}-p10-peer`, 10, connections);
    cases[RAW_10_SIGNAL] = await rawCase('raw-signal', `${RUN_PREFIX}-p10-sig`, 10, connections);
    cases[RAW_10_ALS] = await rawCase('raw-als', `${RUN_PREFIX}-p10-als`, 10, connections);
    // The payload every job carries: what callAsync stores (its queue is paused: nobody takes it).
    const payload = await capturePayload(
      () => cases[SRV_10].app!.get(ServusExecutor).callAsync(Noop, ARGS),
      cases[SRV_10].admin,
    );

    const cpu = new CpuPerJob();
    /** Enqueues `count` jobs (not timed), resumes, and times until the last completion. */
    const drain = async ({ kind, admin, worker }: Case, count: number, name?: string): Promise<number> => {
      for (let done = 0; done < count; done += 1000) {
        await admin.addBulk(
          Array.from({ length: Math.min(1000, count - done) }, () => ({
            name: 'bench.noop',
            data: payload,
            opts: JOB_OPTIONS,
          })),
        );
      }
      if (kind !== 'servus') quietAsyncLocalStorages();
      if (kind === 'raw-als') storage.enterWith({ bench: true });
      const finished = completions(worker, count);
      const timed = async () => {
        const t0 = performance.now();
        await admin.resume();
        await finished;
        return performance.now() - t0;
      };
      const ms = name ? await cpu.measure(name, count, timed) : await timed();
      await admin.pause();
      return (count / ms) * 1000;
    };

    // Warm-up: Lua scripts, JIT, every worker's loop.
    for (const item of Object.values(cases)) await drain(item, Math.min(n, 1000));

    const samples = await interleaveSamples(
      env.rounds(),
      Object.fromEntries(Object.entries(cases).map(([name, item]) => [name, () => drain(item, n, name)])),
    );
    quietAsyncLocalStorages();
    const results = summarizeAll(samples);
    const pairs: Record<string, string> = {
      [SRV_1]: RAW_1,
      [PEER_1]: RAW_1,
      [SRV_10]: RAW_10,
      [PEER_10]: RAW_10,
      [RAW_10_SIGNAL]: RAW_10,
      [RAW_10_ALS]: RAW_10,
    };
    const ratios = Object.fromEntries(
      Object.entries(pairs).map(([name, base]) => [name, pairedRatio(samples[name], samples[base])]),
    );
    const cpuDelta = Object.fromEntries(
      Object.entries(pairs).map(([name, base]) => [name, cpu.pairedDelta(name, base)]),
    );
    const servusOverPeer: Record<string, Summary> = {
      [SRV_1]: pairedRatio(samples[SRV_1], samples[PEER_1]),
      [SRV_10]: pairedRatio(samples[SRV_10], samples[PEER_10]),
    };
    const cpuText = (name: string) => `CPU ${fmt(cpu.median(name))} us/job`;
    const versus = (name: string) => `${fmtRatio(ratios[name])}; ${cpuText(name)}, ${signed(cpuDelta[name])} vs raw`;
    const extra = {
      [RAW_1]: `baseline (concurrency 50); ${cpuText(RAW_1)}`,
      [RAW_10]: `baseline (concurrency 10); ${cpuText(RAW_10)}`,
      [SRV_1]: `Servus/raw ${versus(SRV_1)}; Servus/peer ${fmtRatio(servusOverPeer[SRV_1])}`,
      [SRV_10]: `Servus/raw ${versus(SRV_10)}; Servus/peer ${fmtRatio(servusOverPeer[SRV_10])}`,
      [PEER_1]: `peer/raw ${versus(PEER_1)}`,
      [PEER_10]: `peer/raw ${versus(PEER_10)}`,
      [RAW_10_SIGNAL]: `/raw ${versus(RAW_10_SIGNAL)}`,
      [RAW_10_ALS]: `/raw ${versus(RAW_10_ALS)}`,
    };
    console.log(
      table(`process: draining ${n} pre-enqueued jobs a round (${env.rounds()} rounds)`, 'jobs/s', results, extra),
    );
    return {
      json: {
        process: {
          ...Object.fromEntries(Object.entries(results).map(([name, s]) => [name, { ...s, unit: 'jobs/s' }])),
          ratios: Object.fromEntries(Object.entries(ratios).map(([name, r]) => [`${name} / ${pairs[name]}`, r])),
          cpuUsPerJob: cpu.json(),
          cpuUsPerJobOverRaw: cpuDelta,
          payloadBytes: JSON.stringify(payload).length,
        },
      },
      notes: [
        `process, diagnostics at concurrency 10 (raw BullMQ, no Servus): a processor declaring (job, token, signal) runs at ${ratios[RAW_10_SIGNAL].median.toFixed(3)}x (${signed(cpuDelta[RAW_10_SIGNAL])} us CPU/job: an AbortSignal per job); an entered AsyncLocalStorage at ${ratios[RAW_10_ALS].median.toFixed(3)}x (${signed(cpuDelta[RAW_10_ALS])} us CPU/job: promise hooks)`,
      ],
      targets: [10, 50].flatMap((concurrency) => {
        const [srv, raw] = concurrency === 10 ? [SRV_10, RAW_10] : [SRV_1, RAW_1];
        const figures = `medians ${fmt(results[srv].median)} vs ${fmt(results[raw].median)} jobs/s raw`;
        return [
          {
            target: `Servus worker >= 0.95x raw Worker, concurrency ${concurrency}`,
            measured: `${ratios[srv].median.toFixed(3)}x (${figures}; CPU ${signed(cpuDelta[srv])} us/job in this process)`,
            pass: ratios[srv].median >= 0.95,
          },
          {
            target: `Servus worker >= 1.0x @nestjs/bullmq WorkerHost, concurrency ${concurrency}`,
            measured: `${servusOverPeer[srv].median.toFixed(3)}x`,
            pass: servusOverPeer[srv].median >= 1.0,
          },
        ];
      }),
    };
  } finally {
    quietAsyncLocalStorages();
    for (const item of Object.values(cases)) await item.close().catch(() => undefined);
    for (const item of Object.values(cases)) await item.admin.obliterate({ force: true }).catch(() => undefined);
    await Promise.allSettled(Object.values(cases).map((item) => item.admin.close()));
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

if (require.main === module) {
  void runProcessBench().then(({ json }) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
