import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { ServusExecutor, ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { ARGS, Noop, NoopWithSchema } from './bench-services';
import { createBenchApp, env, fmt, interleave, table, TargetResult } from './bench-kit';

/**
 * Sync cost: an awaited direct call of a no-op service vs `executor.call`, without and
 * with a 5-property JSON Schema (ajv, compiled once at boot), under production log levels
 * (log, warn, error) written to a logger that discards them.
 */

async function appFor(options: ServusModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [ServusModule.forRoot(options)], providers: [Noop, NoopWithSchema] })
  class BenchModule {}
  return createBenchApp(BenchModule);
}

async function timePerCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - started) / n;
}

const DIRECT = 'direct await service.call';
const OFF = 'executor.call, no schema, logging off';
const OFF_SCHEMA = 'executor.call, 5-property schema, logging off';
const DEBUG = 'executor.call, no schema, success logged at debug (off in production)';
const DEBUG_SCHEMA = 'executor.call, 5-property schema, success logged at debug';
const INFO = 'executor.call, no schema, success logged at info (default)';

export async function runSyncBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const n = env.n(100_000);
  const apps = await Promise.all([
    appFor({ logging: false }),
    appFor({ logging: { successLevel: 'debug' } }),
    appFor({}),
  ]);
  try {
    const [quiet, logged, loud] = apps.map((app) => app.get(ServusExecutor));
    const direct = new Noop();
    const args = ARGS;

    // Warm up every path (JIT) before measuring.
    for (let i = 0; i < 20_000; i++) {
      await direct.call(args);
      await quiet.call(Noop, args);
      await quiet.call(NoopWithSchema, args);
      await logged.call(Noop, args);
      await logged.call(NoopWithSchema, args);
      await loud.call(Noop, args);
    }
    const results = await interleave(env.rounds(), {
      [DIRECT]: () => timePerCall(n, () => direct.call(args)),
      [OFF]: () => timePerCall(n, () => quiet.call(Noop, args)),
      [OFF_SCHEMA]: () => timePerCall(n, () => quiet.call(NoopWithSchema, args)),
      [DEBUG]: () => timePerCall(n, () => logged.call(Noop, args)),
      [DEBUG_SCHEMA]: () => timePerCall(n, () => logged.call(NoopWithSchema, args)),
      [INFO]: () => timePerCall(n, () => loud.call(Noop, args)),
    });
    const base = results[DIRECT].median;
    const over = (name: string) => results[name].median - base;
    const overhead = Object.fromEntries(
      Object.keys(results).map((name) => [name, name === DIRECT ? 'baseline' : `+${fmt(over(name))} ns`]),
    );
    console.log(
      table(
        `sync: executor.call vs a direct call (${n} calls a round, ${env.rounds()} rounds)`,
        'ns/call',
        results,
        overhead,
      ),
    );
    const target = (label: string, name: string, limitNs: number): TargetResult => ({
      target: `${label} <= ${limitNs / 1000} us over the direct call`,
      measured: `+${fmt(over(name))} ns`,
      pass: over(name) <= limitNs,
    });
    const targets = [
      target('executor.call, no schema, success at debug (production setting)', DEBUG, 1000),
      target('executor.call, no schema, logging off', OFF, 1000),
      target('executor.call, no schema, success at info (default)', INFO, 1000),
      target('executor.call, compiled 5-property schema, success at debug', DEBUG_SCHEMA, 3000),
      target('executor.call, compiled 5-property schema, logging off', OFF_SCHEMA, 3000),
    ];
    return {
      json: {
        sync: Object.fromEntries(
          Object.entries(results).map(([name, s]) => [name, { ...s, unit: 'ns/call', overheadNs: s.median - base }]),
        ),
      },
      targets,
    };
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

if (require.main === module) {
  void runSyncBench().then(({ json }) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
