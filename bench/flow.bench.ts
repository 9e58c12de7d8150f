import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  adminQueue,
  completions,
  CpuPerJob,
  env,
  fmt,
  fmtRatio,
  interleaveSamples,
  JOB_OPTIONS,
  pairedRatio,
  RUN_PREFIX,
  servusWorkerApp,
  summarizeAll,
  table,
  TargetResult,
} from './bench-kit';
import { ARGS, Noop, NoopKeyed } from './bench-services';

/**
 * Flow control's cost: the Servus worker at concurrency 10 draining a no-op service, without a
 * limit and with `concurrency: { limit: 1, key: userId }`. Job n carries user n % 1000, so the
 * ten jobs in flight have ten different keys: every job is admitted, and the difference is the
 * slot's price (taken in the script call that fetches the job, freed in the one that completes it,
 * and the worker's bookkeeping of its lease). Jobs are
 * added with the payload callAsync stores (the key in metadata.flow) into a paused queue, not
 * timed; the clock runs from resume() to the N-th 'completed' event.
 */

interface Case {
  admin: Queue;
  worker: Worker;
  app: INestApplicationContext;
}

const KEYS = 1000;

async function servusCase(
  prefix: string,
  service: typeof Noop | typeof NoopKeyed,
  connections: Redis[],
): Promise<Case> {
  const admin = await adminQueue(prefix, connections, { paused: true });
  const { app, worker } = await servusWorkerApp(prefix, 10, [service]);
  return { admin, worker, app };
}

const PLAIN = 'Servus worker, no-op service, concurrency 10';
const KEYED = 'the same service with concurrency { limit: 1, key }, 1,000 keys';

export async function runFlowBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const n = env.n(3_000);
  const connections: Redis[] = [];
  const cases: Record<string, Case> = {};
  try {
    cases[PLAIN] = await servusCase(`${RUN_PREFIX}-f-plain`, Noop, connections);
    cases[KEYED] = await servusCase(`${RUN_PREFIX}-f-keyed`, NoopKeyed, connections);
    const payload = (name: string, i: number) =>
      name === KEYED
        ? {
            service: 'bench.noop-keyed',
            args: { ...ARGS, userId: i % KEYS },
            metadata: { v: 1, flow: { c: String(i % KEYS) } },
          }
        : { service: 'bench.noop', args: { ...ARGS, userId: i % KEYS }, metadata: { v: 1 } };

    const cpu = new CpuPerJob();
    const drain = async (name: string, count: number, measured = true): Promise<number> => {
      const { admin, worker } = cases[name];
      for (let done = 0; done < count; done += 1000) {
        const size = Math.min(1000, count - done);
        await admin.addBulk(
          Array.from({ length: size }, (_, i) => {
            const data = payload(name, done + i);
            return { name: data.service, data, opts: JOB_OPTIONS };
          }),
        );
      }
      const finished = completions(worker, count);
      const t0 = performance.now();
      const run = async () => {
        await admin.resume();
        await finished;
      };
      await (measured ? cpu.measure(name, count, run) : run());
      const ms = performance.now() - t0;
      await admin.pause();
      return (count / ms) * 1000;
    };

    for (const name of Object.keys(cases)) await drain(name, Math.min(n, 1000), false); // warm-up
    const samples = await interleaveSamples(
      env.rounds(),
      Object.fromEntries(Object.keys(cases).map((name) => [name, () => drain(name, n)])),
    );
    const results = summarizeAll(samples);
    const ratio = pairedRatio(samples[KEYED], samples[PLAIN]);
    console.log(
      table(`flow: draining ${n} pre-enqueued jobs a round (${env.rounds()} rounds)`, 'jobs/s', results, {
        [PLAIN]: `baseline; CPU ${fmt(cpu.median(PLAIN))} us/job`,
        [KEYED]: `keyed/plain ${fmtRatio(ratio)}; CPU ${fmt(cpu.median(KEYED))} us/job, +${fmt(cpu.pairedDelta(KEYED, PLAIN))}`,
      }),
    );
    return {
      json: {
        flow: {
          ...Object.fromEntries(Object.entries(results).map(([name, s]) => [name, { ...s, unit: 'jobs/s' }])),
          ratio: { [`${KEYED} / ${PLAIN}`]: ratio },
          cpuUsPerJob: cpu.json(),
        },
      },
      targets: [
        {
          target: 'Servus worker with a concurrency key >= 0.90x the same service without, concurrency 10',
          measured: `${ratio.median.toFixed(3)}x (medians ${fmt(results[KEYED].median)} vs ${fmt(results[PLAIN].median)} jobs/s)`,
          pass: ratio.median >= 0.9,
        },
      ],
    };
  } finally {
    for (const item of Object.values(cases)) await item.app.close().catch(() => undefined);
    for (const item of Object.values(cases)) await item.admin.obliterate({ force: true }).catch(() => undefined);
    await Promise.allSettled(Object.values(cases).map((item) => item.admin.close()));
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

if (require.main === module) {
  void runFlowBench().then(({ json, targets }) => {
    console.log(JSON.stringify(json));
    for (const target of targets) console.log(`${target.pass ? 'PASS' : 'MISS'} ${target.target}: ${target.measured}`);
    process.exit(0);
  });
}
