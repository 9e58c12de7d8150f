import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor } from 'nestjs-servus';
import {
  adminQueue,
  capturePayload,
  completions,
  env,
  interleaveSamples,
  JOB_OPTIONS,
  percentile,
  PRODUCER_OPTIONS,
  quietAsyncLocalStorages,
  readyClient,
  RUN_PREFIX,
  servusWorkerApp,
  sleep,
  summarizeAll,
  table,
  TargetResult,
  WORKER_OPTIONS,
} from './bench-kit';
import { Args, ARGS } from './bench-services';
import { peerWorkerApp } from './process.bench';

/**
 * Pickup latency: from just before `queue.add` / `executor.callAsync` to the raw processor /
 * the service's `call` starting, with an idle worker (concurrency 10, as Servus's default)
 * blocked waiting for work. Jobs go one at a time: the next is sent 2 ms after the previous
 * one completed. The send time travels in the job's data (`args.t`, performance.now() of this
 * process: producer and worker share the clock).
 */
interface Probe extends Args {
  t: number;
}

/** Where the service reports its start; set by the bench. */
let onServiceStart: (latencyMs: number) => void = () => undefined;

@Service({ name: 'bench.pickup' })
class PickupProbe extends ServiceBase<Probe, number> {
  async call(args: Probe) {
    onServiceStart(performance.now() - args.t);
    return this.success(args.userId);
  }
}

const GAP_MS = 2;

const RAW = 'raw queue.add -> raw Worker processor start';
const SRV = 'executor.callAsync -> Servus service start';
const PEER = 'queue.add -> @nestjs/bullmq WorkerHost process start (peer)';

export async function runPickupBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const perRound = env.n(100);
  const rawPrefix = `${RUN_PREFIX}-pick-raw`;
  const peerPrefix = `${RUN_PREFIX}-pick-peer`;
  const srvPrefix = `${RUN_PREFIX}-pick-srv`;
  const connections: Redis[] = [await readyClient(PRODUCER_OPTIONS), await readyClient(WORKER_OPTIONS)];
  const [producerConnection, workerConnection] = connections;
  const rawQueue = new Queue('default', { connection: producerConnection, prefix: rawPrefix });
  // Not paused: the Servus worker takes the jobs as they come (paused only to copy a payload).
  const srvAdmin = await adminQueue(srvPrefix, connections, { paused: false });
  let onProcessorStart: (latencyMs: number) => void = () => undefined;
  const rawWorker = new Worker(
    'default',
    async (job) => {
      onProcessorStart(performance.now() - job.data.args.t);
    },
    { connection: workerConnection, prefix: rawPrefix, concurrency: 10 },
  );
  rawWorker.on('error', (error) => console.error(`raw worker: ${error.message}`));
  let app: INestApplicationContext | undefined;
  let onPeerStart: (latencyMs: number) => void = () => undefined;
  const peerQueue = new Queue('default', { connection: producerConnection, prefix: peerPrefix });
  const peer = await peerWorkerApp(peerPrefix, 10, (job: { data: { args: { t: number } } }) =>
    onPeerStart(performance.now() - job.data.args.t),
  );
  try {
    const started = await servusWorkerApp(srvPrefix, 10, [PickupProbe]);
    app = started.app;
    const srvWorker = started.worker;
    const executor = started.app.get(ServusExecutor);
    await Promise.all([rawQueue.waitUntilReady(), rawWorker.waitUntilReady()]);
    // Raw jobs carry a copy of what callAsync stores (same shape and size), plus the send time.
    await srvAdmin.pause();
    const sample = await capturePayload(() => executor.callAsync(PickupProbe, { ...ARGS, t: 0 }), srvAdmin);
    await srvAdmin.resume();

    const pooled: Record<string, number[]> = { [RAW]: [], [SRV]: [], [PEER]: [] };
    /** One job at a time: send, wait for its start and its completion, pause GAP_MS; returns the round's p50. */
    const round = async (
      name: string,
      worker: Worker,
      send: (t: number) => Promise<unknown>,
      hook: (fn: (ms: number) => void) => void,
    ): Promise<number> => {
      const latencies: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const started = new Promise<void>((resolve) => hook((ms) => (latencies.push(ms), resolve())));
        const completed = completions(worker, 1);
        await send(performance.now());
        await started;
        await completed;
        await sleep(GAP_MS);
      }
      pooled[name].push(...latencies);
      return percentile(latencies, 50);
    };
    const rawRound = () => {
      // Servus's worker turned promise hooks on (ServusContext.run): off for the raw rounds.
      quietAsyncLocalStorages();
      return round(
        RAW,
        rawWorker,
        (t) => rawQueue.add('bench.pickup', { ...sample, args: { ...ARGS, t } }, JOB_OPTIONS),
        (fn) => {
          onProcessorStart = fn;
        },
      );
    };
    const srvRound = () =>
      round(
        SRV,
        srvWorker,
        (t) => executor.callAsync(PickupProbe, { ...ARGS, t }),
        (fn) => {
          onServiceStart = fn;
        },
      );

    const peerRound = () => {
      quietAsyncLocalStorages();
      return round(
        PEER,
        peer.worker,
        (t) => peerQueue.add('bench.pickup', { ...sample, args: { ...ARGS, t } }, JOB_OPTIONS),
        (fn) => {
          onPeerStart = fn;
        },
      );
    };

    // Warm-up (not recorded).
    await rawRound();
    await srvRound();
    await peerRound();
    for (const name of [RAW, SRV, PEER]) pooled[name].length = 0;

    const samples = await interleaveSamples(env.rounds(), { [RAW]: rawRound, [SRV]: srvRound, [PEER]: peerRound });
    const perRoundP50 = summarizeAll(samples);
    const stats = (values: number[]) => ({
      n: values.length,
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
      max: percentile(values, 100),
    });
    const raw = stats(pooled[RAW]);
    const srv = stats(pooled[SRV]);
    const peerStats = stats(pooled[PEER]);
    const delta = srv.p50 - raw.p50;
    const overPeer = srv.p50 - peerStats.p50;
    const extra = {
      [RAW]: `all ${raw.n} jobs: p50 ${raw.p50.toFixed(3)}, p95 ${raw.p95.toFixed(3)}, p99 ${raw.p99.toFixed(3)} ms`,
      [PEER]: `all ${peerStats.n} jobs: p50 ${peerStats.p50.toFixed(3)}, p95 ${peerStats.p95.toFixed(3)}, p99 ${peerStats.p99.toFixed(3)} ms`,
      [SRV]: `all ${srv.n} jobs: p50 ${srv.p50.toFixed(3)}, p95 ${srv.p95.toFixed(3)}, p99 ${srv.p99.toFixed(3)} ms; p50 ${delta >= 0 ? '+' : ''}${(delta * 1000).toFixed(0)} us vs raw, ${overPeer >= 0 ? '+' : ''}${(overPeer * 1000).toFixed(0)} us vs peer`,
    };
    console.log(
      table(
        `pickup latency: enqueue -> processing starts, idle worker (${perRound} jobs one at a time a round, ${env.rounds()} rounds; min/median/max of the rounds' p50)`,
        'ms',
        perRoundP50,
        extra,
      ),
    );
    return {
      json: {
        pickup: {
          [RAW]: { perRoundP50: perRoundP50[RAW], ...raw, unit: 'ms' },
          [SRV]: { perRoundP50: perRoundP50[SRV], ...srv, unit: 'ms' },
          [PEER]: { perRoundP50: perRoundP50[PEER], ...peerStats, unit: 'ms' },
          p50DeltaMs: delta,
        },
      },
      targets: [
        {
          target: 'pickup p50 within 0.05 ms of raw',
          measured: `${srv.p50.toFixed(3)} vs ${raw.p50.toFixed(3)} ms (${delta >= 0 ? '+' : ''}${(delta * 1000).toFixed(0)} us)`,
          pass: delta <= 0.05,
        },
      ],
    };
  } finally {
    quietAsyncLocalStorages();
    await app?.close();
    await peer.app.close();
    await rawWorker.close();
    await Promise.allSettled([
      rawQueue.obliterate({ force: true }),
      srvAdmin.obliterate({ force: true }),
      peerQueue.obliterate({ force: true }),
    ]);
    await Promise.allSettled([rawQueue.close(), srvAdmin.close(), peerQueue.close()]);
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

if (require.main === module) {
  void runPickupBench().then(({ json }) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
