import 'reflect-metadata';
import { INestApplicationContext, Module, Type } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { EventHandler, Invoke, Service, ServiceBase, ServusEvents, ServusExecutor, ServusModule } from 'nestjs-servus';
import {
  adminQueue,
  capturePayload,
  completions,
  CpuPerJob,
  createBenchApp,
  env,
  fmt,
  inFlight,
  interleaveSamples,
  JOB_OPTIONS,
  pairedRatio,
  quietAsyncLocalStorages,
  readyClient,
  RUN_PREFIX,
  servusWorkerApp,
  summarizeAll,
  table,
  TargetResult,
  WORKER_OPTIONS,
} from './bench-kit';

/**
 * Costs that grow with the work: callAsync and the worker against raw BullMQ by argument
 * size (100 B .. 1 MB), without and with a schema `default`; an event fanned out to 50
 * async @Invoke handlers against one addBulk of 50; the boot of 1,000 services with a
 * schema each. `npm run bench:scale` (or `npm run bench -- --scale`).
 */

/** BENCH_SIZES=100000,1000000 runs some sizes only (e.g. to compare two commits where they differ). */
export const SIZES = process.env.BENCH_SIZES
  ? process.env.BENCH_SIZES.split(',').map(Number)
  : [100, 10_000, 100_000, 1_000_000];
/** Up to 1 MB a job: nothing finished is kept (the shared Redis must not hold gigabytes). */
const SCALE_OPTIONS = { ...JOB_OPTIONS, removeOnComplete: true, removeOnFail: true };
type Blob = { items: Array<Record<string, unknown>> };

export function argsOf(bytes: number): Blob {
  const item = { id: 1, name: 'item name here', tags: ['a', 'b', 'c'], price: 12.5, ok: true, at: { x: 1, y: 'z' } };
  const count = Math.max(1, Math.round((bytes - 12) / (JSON.stringify(item).length + 1)));
  return { items: Array.from({ length: count }, (_, id) => ({ ...item, id })) };
}

@Service({ name: 'scale.plain' })
class Plain extends ServiceBase<Blob, number> {
  call(args: Blob) {
    return Promise.resolve(this.success(args.items.length));
  }
}

/** A schema with a `default`: validation fills it in (a copy at enqueue, the job's own data in the worker). */
@Service({
  name: 'scale.defaulted',
  arguments: {
    type: 'object',
    properties: { items: { type: 'array' }, note: { type: 'string', default: 'none' } },
    required: ['items'],
  },
})
class Defaulted extends ServiceBase<Blob, number> {
  call(args: Blob) {
    return Promise.resolve(this.success(args.items.length));
  }
}

@Service({ name: 'scale.fanout' })
class Fanout extends ServiceBase<{ n: number }, { n: number }> {
  call(args: { n: number }) {
    return Promise.resolve(this.success(args));
  }
}

/** `count` @EventHandler classes of 'scale.fanned', each with one async @Invoke of Fanout. */
function fanoutHandlers(count: number): Type[] {
  return Array.from({ length: count }, (_, i) => {
    class Handler {
      enqueue(payload: { n: number }) {
        return { n: payload.n + i };
      }
    }
    const method = Object.getOwnPropertyDescriptor(Handler.prototype, 'enqueue')!;
    Invoke(Fanout, { async: true })(Handler.prototype, 'enqueue', method as never);
    EventHandler('scale.fanned')(Handler);
    Object.defineProperty(Handler, 'name', { value: `FanoutHandler${i}` });
    return Handler;
  });
}

const jobsFor = (bytes: number) => env.n(Math.max(10, Math.round(100_000 / Math.sqrt(bytes * 10))));

export async function runScaleBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const connections: Redis[] = [];
  const rawPrefix = `${RUN_PREFIX}-sc-raw`;
  const srvPrefix = `${RUN_PREFIX}-sc-srv`;
  const rawAdmin = await adminQueue(rawPrefix, connections, { paused: true });
  const srvAdmin = await adminQueue(srvPrefix, connections, { paused: true });
  const workerConnection = await readyClient(WORKER_OPTIONS);
  connections.push(workerConnection);
  const rawWorker = new Worker('default', () => Promise.resolve(undefined), {
    connection: workerConnection,
    prefix: rawPrefix,
    concurrency: 10,
  });
  let app: INestApplicationContext | undefined;
  const targets: TargetResult[] = [];
  const json: Record<string, unknown> = {};
  try {
    const started = await servusWorkerApp(srvPrefix, 10, [Plain, Defaulted, Fanout, ...fanoutHandlers(50)], {
      defaultJobOptions: SCALE_OPTIONS,
      events: { strict: false },
      // 1 MB jobs on a loaded machine: more than the 2 s a production caller would wait.
      enqueueTimeoutMs: 30_000,
      // 1 MB arguments are over the default 512 KiB limit.
      limits: { maxPayloadBytes: 2 * 1024 * 1024 },
    });
    app = started.app;
    const srvWorker = started.worker;
    const executor = started.app.get(ServusExecutor);
    await rawWorker.waitUntilReady();
    json.bySize = await bySize(executor, rawAdmin, srvAdmin, rawWorker, srvWorker, targets);
    json.fanout = await fanout(started.app.get(ServusEvents), rawAdmin, srvAdmin, targets);
  } finally {
    quietAsyncLocalStorages();
    await app?.close();
    await rawWorker.close();
    await Promise.allSettled([rawAdmin.obliterate({ force: true }), srvAdmin.obliterate({ force: true })]);
    await Promise.allSettled([rawAdmin.close(), srvAdmin.close()]);
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
  json.boot = await boot(targets);
  return { json: { scale: json }, targets };
}

/** Per size: enqueue (10 in flight) and drain (concurrency 10), raw vs Servus without and with a schema default. */
async function bySize(
  executor: ServusExecutor,
  rawAdmin: Queue,
  srvAdmin: Queue,
  rawWorker: Worker,
  srvWorker: Worker,
  targets: TargetResult[],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const bytes of SIZES) {
    const args = argsOf(bytes);
    const n = jobsFor(bytes);
    const payloads = {
      plain: await capturePayload(() => executor.callAsync(Plain, args), srvAdmin),
      defaulted: await capturePayload(() => executor.callAsync(Defaulted, args), srvAdmin),
    };
    const cpu = new CpuPerJob();
    const enqueue = async (name: string, add: () => Promise<unknown>) => {
      const ms = await cpu.measure(name, n, () => inFlight(n, 10, add));
      await Promise.all([rawAdmin.drain(), srvAdmin.drain()]);
      return (n / ms) * 1000;
    };
    const drain = async (name: string, admin: Queue, worker: Worker, service: string, data: object) => {
      for (let done = 0; done < n; done += 500)
        await admin.addBulk(
          Array.from({ length: Math.min(500, n - done) }, () => ({ name: service, data, opts: SCALE_OPTIONS })),
        );
      if (admin === rawAdmin) quietAsyncLocalStorages();
      const finished = completions(worker, n);
      const ms = await cpu.measure(name, n, async () => {
        const t0 = performance.now();
        await admin.resume();
        await finished;
        return performance.now() - t0;
      });
      await admin.pause();
      return (n / ms) * 1000;
    };
    const cases = {
      'enqueue raw queue.add': () =>
        enqueue('enqueue raw queue.add', () => rawAdmin.add('scale.plain', payloads.plain, SCALE_OPTIONS)),
      'enqueue callAsync': () => enqueue('enqueue callAsync', () => executor.callAsync(Plain, args)),
      'enqueue raw queue.add (defaulted payload)': () =>
        enqueue('enqueue raw queue.add (defaulted payload)', () =>
          rawAdmin.add('scale.defaulted', payloads.defaulted, SCALE_OPTIONS),
        ),
      'enqueue callAsync, schema default': () =>
        enqueue('enqueue callAsync, schema default', () => executor.callAsync(Defaulted, args)),
      'worker raw': () => drain('worker raw', rawAdmin, rawWorker, 'scale.plain', payloads.plain),
      'worker Servus': () => drain('worker Servus', srvAdmin, srvWorker, 'scale.plain', payloads.plain),
      'worker Servus, schema default': () =>
        drain('worker Servus, schema default', srvAdmin, srvWorker, 'scale.defaulted', payloads.defaulted),
    };
    await Promise.all([rawAdmin.resume(), srvAdmin.resume()]);
    for (const run of Object.values(cases).slice(0, 4)) await run(); // warm-up (enqueue paths)
    await Promise.all([rawAdmin.pause(), srvAdmin.pause()]);
    const samples = await interleaveSamples(env.rounds(), cases);
    const ratio = (a: string, b: string) => pairedRatio(samples[a], samples[b]).median;
    const rows = summarizeAll(samples);
    const ratios: Record<string, number> = {
      'enqueue callAsync': ratio('enqueue callAsync', 'enqueue raw queue.add'),
      'enqueue callAsync, schema default': ratio(
        'enqueue callAsync, schema default',
        'enqueue raw queue.add (defaulted payload)',
      ),
      'worker Servus': ratio('worker Servus', 'worker raw'),
      'worker Servus, schema default': ratio('worker Servus, schema default', 'worker raw'),
    };
    const extra = Object.fromEntries(
      Object.keys(cases).map((name) => [
        name,
        `${name in ratios ? `Servus/raw ${ratios[name].toFixed(3)}x; ` : ''}CPU ${fmt(cpu.median(name))} us/job`,
      ]),
    );
    console.log(table(`scale: arguments of ${bytes} B (${n} jobs a case a round)`, 'jobs/s', rows, extra));
    for (const [name, value] of Object.entries(ratios))
      targets.push({
        target: `${name} >= 0.9x raw at ${bytes} B`,
        measured: `${value.toFixed(3)}x`,
        pass: value >= 0.9,
      });
    out[`${bytes}`] = { rows, ratios, cpuUsPerJob: cpu.json() };
  }
  return out;
}

/** One emit to 50 async @Invoke handlers vs one raw addBulk of 50 jobs. */
async function fanout(
  events: ServusEvents,
  rawAdmin: Queue,
  srvAdmin: Queue,
  targets: TargetResult[],
): Promise<Record<string, unknown>> {
  const emits = env.n(100);
  const jobs = Array.from({ length: 50 }, (_, n) => ({ name: 'scale.fanout', data: { n }, opts: JOB_OPTIONS }));
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < emits; i++) await fn();
    const ms = (performance.now() - t0) / emits;
    await Promise.all([rawAdmin.drain(), srvAdmin.drain()]);
    return ms;
  };
  const EMIT = 'events.emit to 50 async @Invoke handlers';
  const BULK = 'raw addBulk of 50 jobs';
  const samples = await interleaveSamples(env.rounds(), {
    [BULK]: () => time(() => rawAdmin.addBulk(jobs)),
    [EMIT]: () => time(() => events.emit('scale.fanned', { n: 1 })),
  });
  const ratio = pairedRatio(samples[EMIT], samples[BULK]).median;
  console.log(
    table(`scale: fan-out (${emits} emits a round)`, 'ms/emit', summarizeAll(samples), {
      [EMIT]: `${ratio.toFixed(2)}x the addBulk time`,
    }),
  );
  targets.push({
    target: 'emit to 50 async handlers <= 1.2x one addBulk(50)',
    measured: `${ratio.toFixed(2)}x`,
    pass: ratio <= 1.2,
  });
  return { ...summarizeAll(samples), ratio };
}

/** Boot (create + init) of an app with 1,000 services with a schema each: the same schema text, then 1,000 distinct ones. */
async function boot(targets: TargetResult[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const distinct of [false, true]) {
    const services = Array.from({ length: 1000 }, (_, i) => {
      class Generated extends ServiceBase<{ id: number }, number> {
        call(args: { id: number }) {
          return Promise.resolve(this.success(args.id));
        }
      }
      const schema = {
        type: 'object',
        required: ['id', 'email'],
        properties: {
          id: { type: 'integer', minimum: 1 },
          email: { type: 'string', maxLength: distinct ? 100 + i : 200 },
          tags: { type: 'array', items: { type: 'string' } },
        },
      };
      Service({ name: `scale.boot.${i}`, arguments: schema })(Generated);
      return Generated;
    });
    @Module({ imports: [ServusModule.forRoot({ queues: ['default'], logging: false })], providers: services })
    class BootModule {}
    const t0 = performance.now();
    const app = await createBenchApp(BootModule);
    const ms = performance.now() - t0;
    await app.close();
    const name = distinct ? '1,000 distinct schemas' : '1,000 identical schemas';
    out[name] = ms;
    console.log(`scale: boot with ${name}: ${ms.toFixed(0)} ms`);
    targets.push({ target: `boot with ${name} <= 1 s`, measured: `${ms.toFixed(0)} ms`, pass: ms <= 1000 });
  }
  return out;
}

if (require.main === module) {
  void runScaleBench().then(({ json, targets }) => {
    for (const target of targets) console.log(`${target.pass ? 'PASS' : 'MISS'} ${target.target}: ${target.measured}`);
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
