import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext, Logger, LogLevel, Module } from '@nestjs/common';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ServusExecutor, ServusModule } from 'nestjs-servus';
import { encodePayload } from 'nestjs-servus/async/job-payload.codec';
import {
  adminQueue,
  completions,
  createBenchApp,
  env,
  inFlight,
  JOB_OPTIONS,
  PRODUCER_OPTIONS,
  readyClient,
  RUN_PREFIX,
  servusWorkerApp,
  sweepKeys,
  WORKER_OPTIONS,
} from './bench-kit';
import { CpuProfile, report, summarizeProfile } from './cpuprofile';
import { Args, ARGS as NOOP_ARGS, Noop, NoopKeyed } from './bench-services';
import { argsOf } from './scale.bench';

/**
 * CPU profiles of the enqueue and process paths, raw vs Servus, taken with the inspector
 * around the measured window only (no boot, no ts-node compilation in the profile):
 *
 *   npx ts-node bench/profile.ts MODE
 *
 * MODE: call, all, or one of MODES.
 *
 * process-keyed: the no-op service with `concurrency: { limit: 1, key }`, job n on key n % 1000 (as the flow
 * section of `npm run bench`: every job admitted), so flow control's share of a job shows.
 *
 * Each prints self time per origin and per function, and the inclusive time of the Servus
 * steps per job; the .cpuprofile is written to BENCH_PROFILE_DIR (default: the OS temp dir)
 * for Chrome DevTools / speedscope. BENCH_N scales the job counts, BENCH_PROFILE_US sets the
 * sampling interval (default 50 us). All keys are deleted at the end.
 */

/** BENCH_ARGS_BYTES: arguments of about that many bytes of JSON (the scale section's shape) instead of the no-op's. */
// The no-op services read nothing of their arguments but userId (undefined then): any shape will do.
const ARGS = (process.env.BENCH_ARGS_BYTES ? argsOf(Number(process.env.BENCH_ARGS_BYTES)) : NOOP_ARGS) as Args;
const RAW_DATA = { service: 'bench.noop', args: ARGS, metadata: { enqueuedAt: new Date().toISOString(), v: 1 } };

function post<T = unknown>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

async function profiled(name: string, jobs: number, body: () => Promise<unknown>, watch: RegExp[]): Promise<void> {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_US ?? 50) });
  await post(session, 'Profiler.start');
  const t0 = performance.now();
  await body();
  const ms = performance.now() - t0;
  const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');
  session.disconnect();
  const file = join(process.env.BENCH_PROFILE_DIR ?? tmpdir(), `servus-${name}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(
    `\n=== ${name}: ${jobs} jobs in ${ms.toFixed(0)} ms = ${((jobs / ms) * 1000).toFixed(0)} jobs/s; profile ${file}`,
  );
  console.log(report(summarizeProfile(profile), { top: Number(process.env.BENCH_PROFILE_TOP ?? 25), jobs, watch }));
}

const SERVUS_ENQUEUE_STEPS = [
  /^callAsync /,
  /^enqueue libs/,
  /^build libs/,
  /^findNonJson /,
  /^walk libs\/servus\/src\/async\/job-payload/,
  /^childPath /,
  /^isPlainObject /,
  /^encodePayload /,
  /^buildJobOptions /,
  /^withTimeout /,
  /^ready libs/,
  /^add bullmq/,
  /^addJob bullmq/,
];
const SERVUS_PROCESS_STEPS = [
  /^process libs/,
  /^run libs\/servus\/src\/execution\/service-pipeline/,
  /^called /,
  /^finished /,
  /^isEnabled /,
  /^isLevelEnabled /,
  /^decodePayload /,
  /^invoke libs/,
  /^toJSON libs/,
  /^callProcessJob bullmq/,
  /^processJob bullmq/,
  /^moveToCompleted bullmq/,
];

/** bulk: raw `addBulk` of 1,000 against `callAsyncMany` of 1,000, batch after batch (the enqueue section's bulk case). */
async function enqueue(kind: 'raw' | 'servus', connections: Redis[], prefix: string, bulk = false): Promise<void> {
  const jobs = env.n(40_000);
  const admin = await adminQueue(prefix, connections, { paused: false });
  let app: INestApplicationContext | undefined;
  try {
    let add: () => Promise<unknown>;
    if (kind === 'raw') {
      const rawJobs = Array.from({ length: 1000 }, () => ({ name: 'bench.noop', data: RAW_DATA, opts: JOB_OPTIONS }));
      add = bulk ? () => admin.addBulk(rawJobs) : () => admin.add('bench.noop', RAW_DATA, JOB_OPTIONS);
    } else {
      @Module({
        imports: [ServusModule.forRoot({ prefix, queues: ['default'], logging: { successLevel: 'debug' } })],
        providers: [Noop],
      })
      class EnqueueModule {}
      app = await createBenchApp(EnqueueModule);
      const executor = app.get(ServusExecutor);
      await executor.callAsync(Noop, ARGS);
      const items = Array.from({ length: 1000 }, () => ({ service: Noop, args: ARGS }));
      add = bulk ? () => executor.callAsyncMany(items) : () => executor.callAsync(Noop, ARGS);
    }
    // bulk: one batch of 1,000 at a time (whole batches: the per-job figures divide by what was sent)
    const run = (count: number) => (bulk ? inFlight(Math.ceil(count / 1000), 1, add) : inFlight(count, 50, add));
    const sent = bulk ? Math.ceil(jobs / 1000) * 1000 : jobs;
    await run(5_000); // warm-up
    await admin.drain();
    await profiled(
      `enqueue-${bulk ? 'bulk-' : ''}${kind} (${bulk ? 'batches of 1,000' : '50 in flight'})`,
      sent,
      () => run(jobs),
      kind === 'servus'
        ? [...SERVUS_ENQUEUE_STEPS, /^callAsyncMany /, /^enqueueMany /, /^buildMany /, /^addBulk bullmq/]
        : [/^add bullmq/, /^addJob bullmq/, /^addBulk bullmq/],
    );
  } finally {
    await app?.close();
    await admin.obliterate({ force: true });
    await admin.close();
  }
}

async function process_(
  kind: 'raw' | 'servus' | 'keyed' | 'rawsignal',
  connections: Redis[],
  prefix: string,
): Promise<void> {
  const jobs = env.n(30_000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
  const admin = await adminQueue(prefix, connections, { paused: true });
  let app: INestApplicationContext | undefined;
  let worker: Worker;
  if (kind !== 'servus' && kind !== 'keyed') {
    // rawsignal: a processor declaring (job, token, signal), for which BullMQ builds an AbortSignal per job.
    const processor =
      kind === 'rawsignal'
        ? async (_job: unknown, _token?: string, _signal?: AbortSignal) => undefined
        : async () => undefined;
    worker = new Worker('default', processor, { connection: connections[1], prefix, concurrency });
  } else {
    ({ app, worker } = await servusWorkerApp(prefix, concurrency, [kind === 'keyed' ? NoopKeyed : Noop]));
  }
  try {
    const fill = async (count: number) => {
      for (let done = 0; done < count; done += 1000) {
        await admin.addBulk(
          Array.from({ length: Math.min(1000, count - done) }, (_, i) =>
            kind === 'keyed'
              ? {
                  // keyed: the no-op service with `concurrency: { limit: 1, key }`,
                  // job n on key n % 1000 (all admitted)
                  name: 'bench.noop-keyed',
                  data: encodePayload(
                    'bench.noop-keyed',
                    { ...ARGS, userId: (done + i) % 1000 },
                    undefined,
                    false,
                    undefined,
                    {
                      c: String((done + i) % 1000),
                    },
                  ),
                  opts: JOB_OPTIONS,
                }
              : { name: 'bench.noop', data: encodePayload('bench.noop', ARGS), opts: JOB_OPTIONS },
          ),
        );
      }
    };
    const drain = async (count: number) => {
      const finished = completions(worker, count);
      await admin.resume();
      await finished;
      await admin.pause();
    };
    const warmUp = Math.min(3_000, jobs);
    await fill(warmUp);
    await drain(warmUp); // warm-up
    await fill(jobs);
    await profiled(
      `process-${kind} (concurrency ${concurrency})`,
      jobs,
      () => drain(jobs),
      kind === 'servus'
        ? SERVUS_PROCESS_STEPS
        : kind === 'keyed'
          ? [...SERVUS_PROCESS_STEPS, /libs\/servus\/src\/flow\//]
          : [/^callProcessJob bullmq/, /^processJob bullmq/, /^moveToCompleted bullmq/],
    );
  } finally {
    if (app) await app.close();
    else await worker.close();
    await admin.obliterate({ force: true });
    await admin.close();
  }
}

/**
 * executor.call of the no-op service in this process (no Redis), `logging: false`, or with the module's
 * logging on (its default) and Nest's logging set by BENCH_NEST_OFF=1 (Logger.overrideLogger(false)) or
 * BENCH_LEVELS=warn,error (those levels; `log,warn,error` for the default success line at production levels).
 */
async function call(): Promise<void> {
  const calls = env.n(300_000);
  const nestOff = Boolean(process.env.BENCH_NEST_OFF);
  const levels = process.env.BENCH_LEVELS?.split(',') as LogLevel[] | undefined;
  const logs = nestOff || levels !== undefined;
  @Module({
    imports: [ServusModule.forRoot({ queues: ['default'], ...(logs ? {} : { logging: false }) })],
    providers: [Noop],
  })
  class CallModule {}
  const app = await createBenchApp(CallModule);
  if (nestOff) Logger.overrideLogger(false);
  else if (levels) Logger.overrideLogger(levels);
  try {
    const executor = app.get(ServusExecutor);
    const loop = async (count: number) => {
      for (let i = 0; i < count; i++) await executor.call(Noop, ARGS);
    };
    await loop(50_000); // warm-up
    await profiled(
      `call (${nestOff ? 'Nest logger off' : levels ? `levels ${levels.join(' ')}` : 'logging: false'})`,
      calls,
      () => loop(calls),
      [
        /^call libs/,
        /^run libs\/servus\/src\/execution\/service-pipeline/,
        /^execute libs/,
        /^invoke libs/,
        /^active libs/,
        /^isEnabled libs/,
        /^called libs/,
        /^finished libs/,
      ],
    );
  } finally {
    await app.close();
  }
}

/** The profiled paths, one a run (`all`: the first two of each kind). */
const MODES = [
  'enqueue-raw',
  'enqueue-servus',
  'enqueue-bulk-raw',
  'enqueue-bulk-servus',
  'process-raw',
  'process-servus',
  'process-keyed',
  'process-rawsignal',
];

async function main(): Promise<void> {
  // BENCH_ALS=1: an AsyncLocalStorage entered first, as Servus's worker does (ServusContext.run per job),
  // to see what it costs raw BullMQ.
  if (process.env.BENCH_ALS) new AsyncLocalStorage().enterWith({ on: true });
  const mode = process.argv[2] ?? 'all';
  if (mode === 'call') return call();
  const modes = mode === 'all' ? ['enqueue-raw', 'enqueue-servus', 'process-raw', 'process-servus'] : [mode];
  for (const item of modes)
    if (!MODES.includes(item)) throw new Error(`unknown mode ${item}: ${MODES.join(', ')}, call or all`);
  const connections = [await readyClient(PRODUCER_OPTIONS), await readyClient(WORKER_OPTIONS)];
  const prefix = `${RUN_PREFIX}-prof`;
  try {
    for (const item of modes) {
      const [what, kind] = item.replace('-bulk', '').split('-') as [
        'enqueue' | 'process',
        'raw' | 'servus' | 'keyed' | 'rawsignal',
      ];
      if (what === 'enqueue')
        await enqueue(kind as 'raw' | 'servus', connections, `${prefix}-${item}`, item.includes('-bulk-'));
      else await process_(kind, connections, `${prefix}-${item}`);
    }
  } finally {
    await sweepKeys(connections[0], prefix);
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
