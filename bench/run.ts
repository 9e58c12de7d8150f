import 'reflect-metadata';
import { cpus, loadavg } from 'node:os';
import { countKeys, env, readyClient, RUN_PREFIX, sweepKeys, targetLine, TargetResult } from './bench-kit';
import { runSyncBench } from './sync.bench';
import { runEnqueueBench } from './enqueue.bench';
import { runProcessBench } from './process.bench';
import { runPickupBench } from './pickup.bench';
import { runFlowBench } from './flow.bench';
import { runScaleBench } from './scale.bench';
import { runOutboxBench } from './outbox.bench';

/**
 * `npm run bench`: every benchmark, one after the other, each interleaving its cases over
 * BENCH_ROUNDS rounds (BENCH_N scales the work), then the issue's targets (PASS/MISS: a
 * report, never a failure) and one JSON line of all results. Every Redis key is under this
 * run's prefix and is deleted at the end; the process exits by itself.
 */
async function main(): Promise<void> {
  const wallStart = performance.now();
  const redis = await readyClient({ maxRetriesPerRequest: 1 });
  const info = await redis.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  const dbsizeBefore = await redis.dbsize();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    redis: redisVersion,
    redisUrl: env.redisUrl().replace(/\/\/[^@]*@/, '//***@'),
    loadavg1m: Number(loadavg()[0].toFixed(2)),
    benchN: Number(process.env.BENCH_N ?? 1),
    rounds: env.rounds(),
    prefix: RUN_PREFIX,
  };
  console.log(
    `command: ${process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event} -> ` : ''}ts-node bench/run.ts ${process.argv.slice(2).join(' ')}\n` +
      `machine: ${machine.cores} x ${machine.cpu}; node ${machine.node}; redis ${machine.redis} at ${machine.redisUrl}; load ${machine.loadavg1m} (1 min)\n` +
      `BENCH_N=${machine.benchN} BENCH_ROUNDS=${machine.rounds}; keys under ${RUN_PREFIX}*; DBSIZE before: ${dbsizeBefore}`,
  );

  const results: Record<string, unknown> = { machine };
  const targets: TargetResult[] = [];
  const notes: string[] = [];
  try {
    const sections: Record<string, number> = {};
    // `--scale`: the costs that grow with the work too (argument sizes, fan-out, boot); `--scale-only`: those alone.
    const scale = { scale: runScaleBench };
    const main = {
      sync: runSyncBench,
      enqueue: runEnqueueBench,
      process: runProcessBench,
      pickup: runPickupBench,
      flow: runFlowBench,
      outbox: runOutboxBench,
    };
    const all: Record<string, () => Promise<unknown>> = process.argv.includes('--scale-only')
      ? scale
      : process.argv.includes('--scale')
        ? { ...main, ...scale }
        : main;
    // --only=sync,enqueue: some sections (e.g. to compare two commits on the sections both have).
    const only = process.argv
      .find((arg) => arg.startsWith('--only='))
      ?.slice('--only='.length)
      .split(',');
    const unknown = only?.filter((name) => !(name in all));
    if (unknown?.length)
      throw new Error(`unknown section(s) ${unknown.join(', ')}; one of: ${Object.keys(all).join(', ')}`);
    const chosen = only ? Object.fromEntries(Object.entries(all).filter(([name]) => only.includes(name))) : all;
    for (const [name, section] of Object.entries(chosen)) {
      const t0 = performance.now();
      const {
        json,
        targets: met,
        notes: said = [],
      } = (await section()) as { json: Record<string, unknown>; targets: TargetResult[]; notes?: string[] };
      notes.push(...said);
      sections[name] = Number(((performance.now() - t0) / 1000).toFixed(1));
      console.log(`(${name}: ${sections[name]} s)`);
      Object.assign(results, json);
      targets.push(...met);
    }
    results.sectionSeconds = sections;
  } finally {
    // Each section obliterates its queues; this catches anything left (a crash halfway, a stalled-check key).
    const swept = await sweepKeys(redis, RUN_PREFIX);
    const left = await countKeys(redis, RUN_PREFIX);
    const dbsizeAfter = await redis.dbsize();
    results.redis = { dbsizeBefore, dbsizeAfter, sweptAtEnd: swept, keysLeftUnderPrefix: left };
    console.log(
      `\nredis: DBSIZE before ${dbsizeBefore}, after ${dbsizeAfter}; keys swept at the end ${swept}; keys left under ${RUN_PREFIX}*: ${left}`,
    );
    await redis.quit();
  }

  console.log(
    `\ntargets (medians; ratios paired per round); ${machine.cores} x ${machine.cpu}, load ${machine.loadavg1m} at start, ${Number(loadavg()[0].toFixed(2))} at end; BENCH_N=${machine.benchN} BENCH_ROUNDS=${machine.rounds}`,
  );
  console.log('| target | measured | |\n|---|---|---|');
  for (const target of targets) console.log(targetLine(target));
  for (const note of notes) console.log(`(${note})`);
  results.targets = targets;
  results.notes = notes;
  const wallSeconds = Number(((performance.now() - wallStart) / 1000).toFixed(1));
  results.wallSeconds = wallSeconds;
  console.log(`\nwall time of the benchmarks: ${wallSeconds} s`);
  console.log(JSON.stringify(results));
}

main().then(
  () => {
    // BENCH_CHECK_HANDLES=1: do not force the exit; list what is still open (should be nothing but stdio).
    if (process.env.BENCH_CHECK_HANDLES)
      return console.error(`open after the bench: ${JSON.stringify(process.getActiveResourcesInfo())}`);
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
