/** Shared helpers of the benchmarks: interleaved rounds, summaries, the printed tables, Nest apps and Redis. */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { INestApplicationContext, Logger, LoggerService, Module, Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, JobsOptions, Queue, Worker } from 'bullmq';
import { Redis, RedisOptions } from 'ioredis';
import { ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { DEFAULT_JOB_OPTIONS } from 'nestjs-servus/async/job-options';
import { ServusWorker } from 'nestjs-servus/extend';

export interface Summary {
  min: number;
  median: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

/** The p-th percentile (0..100) of the samples, nearest rank. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs every case once per round, in a rotating order, so drift on a shared machine hits
 * all cases alike. Each case returns its own measurement for the round; every sample is kept
 * (in round order) so paired per-round ratios can be taken.
 */
export async function interleaveSamples(
  rounds: number,
  cases: Record<string, () => Promise<number>>,
): Promise<Record<string, number[]>> {
  const names = Object.keys(cases);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      samples[name].push(await cases[name]());
    }
  }
  return samples;
}

export async function interleave(
  rounds: number,
  cases: Record<string, () => Promise<number>>,
): Promise<Record<string, Summary>> {
  return summarizeAll(await interleaveSamples(rounds, cases));
}

export function summarizeAll(samples: Record<string, number[]>): Record<string, Summary> {
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summarize(values)]));
}

/** Per-round ratios `a[r] / b[r]` of two interleaved cases (paired: measured in the same round), summarized. */
export function pairedRatio(a: number[], b: number[]): Summary {
  return summarize(a.map((value, round) => value / b[round]));
}

export function table(
  title: string,
  unit: string,
  rows: Record<string, Summary>,
  extra: Record<string, string> = {},
): string {
  const lines = [`\n${title}`, `| case | min ${unit} | median ${unit} | max ${unit} | |`, '|---|---:|---:|---:|---|'];
  for (const [name, s] of Object.entries(rows)) {
    lines.push(`| ${name} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.max)} | ${extra[name] ?? ''} |`);
  }
  return lines.join('\n');
}

export function fmt(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** `+1.23` / `-0.50`. */
export function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${fmt(value)}`;
}

/**
 * The last column of a table: `baseline` on the baseline row, `+x ns over baseline` (median
 * minus the baseline's median) on the rows whose name starts with one of `prefixes`, empty elsewhere.
 */
export function overBaseline(
  rows: Record<string, Summary>,
  baselineKey: string,
  prefixes: string[],
  unit = 'ns',
): Record<string, string> {
  const baseline = rows[baselineKey];
  if (!baseline) throw new Error(`bench: no baseline row "${baselineKey}"`);
  return Object.fromEntries(
    Object.keys(rows).map((name) => [
      name,
      name === baselineKey
        ? 'baseline'
        : prefixes.some((prefix) => name.startsWith(prefix))
          ? `${signed(rows[name].median - baseline.median)} ${unit} over baseline`
          : '',
    ]),
  );
}

/** `0.97x (0.93..1.01)`: a paired ratio, its median and its range over the rounds. */
export function fmtRatio(ratio: Summary): string {
  return `${ratio.median.toFixed(3)}x (rounds ${ratio.min.toFixed(3)}..${ratio.max.toFixed(3)})`;
}

export const env = {
  /** A work size, scaled by BENCH_N (a factor; BENCH_N=0.2 for a quick look, 5 for steadier numbers). */
  n: (fallback: number) =>
    Math.max(1, Math.round(fallback * Number(process.env.BENCH_N_SCALE ?? process.env.BENCH_N ?? 1))),
  rounds: () => Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9)),
  redisUrl: () => process.env.REDIS_URL || 'redis://127.0.0.1:6379',
};

/** Production log levels (log, warn, error), written nowhere: the formatting is paid, not the terminal. */
export class DiscardLogger implements LoggerService {
  log() {}
  warn() {}
  error() {}
}

/**
 * A Nest application context as in production: levels log/warn/error (so `debug` lines are
 * skipped, `log` lines are built) and a logger that discards them (boot lines included).
 */
export async function createBenchApp(
  module: Parameters<typeof NestFactory.createApplicationContext>[0],
): Promise<INestApplicationContext> {
  Logger.overrideLogger(['log', 'warn', 'error']);
  return NestFactory.createApplicationContext(module, { logger: new DiscardLogger() });
}

/**
 * A Servus worker app on `prefix`: queue `default`, `concurrency` jobs at a time, success logged at debug
 * (as a production app keeps its info logs quiet), `options` on top; `providers` are its services. Returns the
 * app and its BullMQ Worker (an app whose Worker cannot be read is closed before the error is thrown).
 */
export async function servusWorkerApp(
  prefix: string,
  concurrency: number,
  providers: Provider[],
  options: ServusModuleOptions = {},
): Promise<{ app: INestApplicationContext; worker: Worker }> {
  @Module({
    imports: [
      ServusModule.forRoot({
        prefix,
        queues: ['default'],
        worker: { concurrency },
        logging: { successLevel: 'debug' },
        ...options,
      }),
    ],
    providers,
  })
  class ServusWorkerBenchModule {}
  const app = await createBenchApp(ServusWorkerBenchModule);
  try {
    const [worker] = workersOf(app.get(ServusWorker));
    return { app, worker };
  } catch (error) {
    // The caller gets no app to close.
    await app.close();
    throw error;
  }
}

/** A unique key prefix of this run: every section's prefixes start with it, and it is swept at the end. */
export const RUN_PREFIX = `sbench-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/**
 * The job options of the jobs the benches add: Servus's defaults (attempts 3, exponential backoff),
 * with finished jobs also bounded by count, so a run does not fill the shared Redis (the defaults
 * keep them by age only).
 */
export const JOB_OPTIONS: JobsOptions = {
  ...DEFAULT_JOB_OPTIONS,
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
};

/** The ioredis options Servus uses for its producer connection (fail fast), for raw producers alike. */
export const PRODUCER_OPTIONS: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };
/** The ioredis options a BullMQ Worker needs (and Servus's worker connections use). */
export const WORKER_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true };

export function redisClient(options: RedisOptions = {}): Redis {
  return new Redis(env.redisUrl(), options);
}

export async function readyClient(options: RedisOptions = {}): Promise<Redis> {
  const client = redisClient({ ...options, lazyConnect: true });
  await client.connect();
  return client;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK); returns how many there were. */
/**
 * A Queue 'default' under `prefix` on its own producer connection (pushed onto `connections`,
 * for the caller to quit), ready; paused when `paused` (nothing is taken until resume()).
 * For adding, draining, pausing and obliterating outside the measured path.
 */
export async function adminQueue(
  prefix: string,
  connections: Redis[],
  { paused }: { paused: boolean },
): Promise<Queue> {
  const connection = await readyClient(PRODUCER_OPTIONS);
  connections.push(connection);
  const admin = new Queue('default', { connection, prefix });
  await admin.waitUntilReady();
  if (paused) await admin.pause();
  return admin;
}

export async function sweepKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function countKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * The BullMQ Workers inside a Servus app's ServusWorker. They are private: the bench reads
 * them only to listen to 'completed' (no Redis traffic added), and fails loudly if that changes.
 */
export function workersOf(servusWorker: object): Worker[] {
  const workers = (servusWorker as { workers?: unknown }).workers;
  if (!Array.isArray(workers) || !workers.every((worker) => worker instanceof Worker)) {
    throw new Error(
      'bench: ServusWorker no longer keeps its BullMQ Workers in `workers`; update bench-kit workersOf()',
    );
  }
  return workers as Worker[];
}

/** Resolves when `worker` has completed `n` more jobs; rejects on the first failed job. */
export function completions(worker: Worker, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const onCompleted = () => {
      if (++done >= n) finish();
    };
    const onFailed = (_job: unknown, error: Error) => finish(error);
    const finish = (error?: Error) => {
      worker.off('completed', onCompleted);
      worker.off('failed', onFailed);
      if (error) reject(new Error(`bench: a job failed: ${error.message}`));
      else resolve();
    };
    worker.on('completed', onCompleted);
    worker.on('failed', onFailed);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` `total` times with `width` calls in flight; resolves to the wall time in ms. */
export async function inFlight(total: number, width: number, fn: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await fn();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(width, total) }, lane));
  return performance.now() - t0;
}

/**
 * CPU time of this process (user + system, all threads) per job, by case, one sample per
 * round: less sensitive than wall time to other processes on a shared machine, it shows
 * what Servus adds in this process. Redis's own CPU is not in it.
 */
export class CpuPerJob {
  readonly samples: Record<string, number[]> = {};

  /** Runs `fn` (which handles `jobs` jobs) and records its CPU us/job under `name`; resolves to fn's result. */
  async measure<T>(name: string, jobs: number, fn: () => Promise<T>): Promise<T> {
    const before = process.cpuUsage();
    const result = await fn();
    const used = process.cpuUsage(before);
    (this.samples[name] ??= []).push((used.user + used.system) / jobs);
    return result;
  }

  median(name: string): number {
    return summarize(this.samples[name]).median;
  }

  /** Median over the rounds of (a - b), paired by round. */
  pairedDelta(a: string, b: string): number {
    return summarize(this.samples[a].map((value, round) => value - this.samples[b][round])).median;
  }

  json(): Record<string, Summary> {
    return summarizeAll(this.samples);
  }
}

/**
 * AsyncLocalStorage: once one is entered (Servus's worker runs each job in ServusContext.run),
 * Node 20 keeps promise hooks on for the whole process, and every promise pays for them,
 * BullMQ's and ioredis's included. So that the raw cases measured in this same process are
 * not slowed down by Servus, the bench notes every storage that gets entered (run/enterWith,
 * wrapped below) and disables them all before a raw case (public `disable()`); Servus's next
 * job enables its own again.
 */
const storages = new Set<AsyncLocalStorage<unknown>>();
for (const method of ['run', 'enterWith'] as const) {
  const proto = AsyncLocalStorage.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = proto[method];
  proto[method] = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
    storages.add(this);
    return original.apply(this, args);
  };
}

/** Disables every AsyncLocalStorage entered so far (between cases only: stores are lost); returns how many. */
export function quietAsyncLocalStorages(): number {
  for (const storage of storages) storage.disable();
  return storages.size;
}

/**
 * The data of a job exactly as `executor.callAsync` stores it (payload shape and size follow
 * the library as it is: args, metadata, carried context), read back from Redis and removed.
 * `queue` must not be consumed meanwhile (paused, or no worker).
 */
export async function capturePayload(
  callAsync: () => Promise<{ jobId: string }>,
  queue: Queue,
): Promise<Record<string, unknown>> {
  const { jobId } = await callAsync();
  const job = await Job.fromId(queue, jobId);
  if (!job) throw new Error(`bench: job ${jobId} not found on ${queue.name} to copy its payload`);
  await job.remove();
  return job.data as Record<string, unknown>;
}

/** A target of the issue and whether this run met it. A benchmark reports: it never fails. */
export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean;
}

export function targetLine({ target, measured, pass }: TargetResult): string {
  return `| ${target} | ${measured} | ${pass ? 'PASS' : 'MISS'} |`;
}
