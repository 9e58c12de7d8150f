import 'reflect-metadata';
import { INestApplicationContext, Logger, Module } from '@nestjs/common';
import { CommandBus, CommandHandler, CqrsModule, ICommandHandler } from '@nestjs/cqrs';
import { ServusExecutor, ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { Args, ARGS, Noop, NoopWithSchema } from './bench-services';
import { createBenchApp, DiscardLogger, env, fmt, interleave, table, TargetResult } from './bench-kit';

/**
 * Sync cost: an awaited direct call of a no-op service vs `executor.call`, without and
 * with a 5-property JSON Schema (ajv, compiled once at boot), next to the peer a Nest team
 * would use in-process: @nestjs/cqrs `CommandBus.execute` of a no-op handler. Production
 * levels (log, warn, error) written to a logger that discards them; the cases that switch
 * Nest's logging off (`logger: false`, levels without log/debug) set it for their own round
 * and put it back, so each pays the level change too.
 */

class NoopCommand {
  constructor(readonly args: Args) {}
}

@CommandHandler(NoopCommand)
class NoopHandler implements ICommandHandler<NoopCommand, number> {
  // async, as the no-op service's call: the same work on both sides.
  async execute(command: NoopCommand): Promise<number> {
    return command.args.userId;
  }
}

async function appFor(options: ServusModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [ServusModule.forRoot(options)], providers: [Noop, NoopWithSchema] })
  class BenchModule {}
  return createBenchApp(BenchModule);
}

async function cqrsApp(): Promise<INestApplicationContext> {
  @Module({ imports: [CqrsModule.forRoot()], providers: [NoopHandler] })
  class CqrsBenchModule {}
  return createBenchApp(CqrsBenchModule);
}

async function timePerCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - started) / n;
}

/** Runs `fn` with Nest's logging set by `apply`, then back to the bench's production setting. */
async function withNestLogging<T>(apply: () => void, fn: () => Promise<T>): Promise<T> {
  apply();
  try {
    return await fn();
  } finally {
    Logger.overrideLogger(new DiscardLogger());
    Logger.overrideLogger(['log', 'warn', 'error']);
  }
}

const DIRECT = 'direct await service.call';
const CQRS = '@nestjs/cqrs CommandBus.execute (peer)';
const OFF = 'executor.call, no schema, logging: false';
const NEST_OFF = 'executor.call, no schema, Nest logger off (logger: false / overrideLogger(false))';
const LEVELS_OFF = 'executor.call, no schema, Nest levels warn/error (no log, no debug)';
const OFF_SCHEMA = 'executor.call, 5-property schema, logging: false';
const DEBUG = 'executor.call, no schema, success logged at debug (off in production)';
const DEBUG_SCHEMA = 'executor.call, 5-property schema, success logged at debug';
const INFO = 'executor.call, no schema, success logged at info (default)';

export async function runSyncBench(): Promise<{ json: Record<string, unknown>; targets: TargetResult[] }> {
  const n = env.n(100_000);
  const apps = await Promise.all([
    appFor({ logging: false }),
    appFor({ logging: { successLevel: 'debug' } }),
    appFor({}),
    cqrsApp(),
  ]);
  try {
    const [quiet, logged, loud] = apps.slice(0, 3).map((app) => app.get(ServusExecutor));
    const bus = apps[3].get(CommandBus);
    const direct = new Noop();
    const args = ARGS;

    // Warm up every path (JIT) before measuring.
    for (let i = 0; i < 20_000; i++) {
      await direct.call(args);
      await bus.execute(new NoopCommand(args));
      await quiet.call(Noop, args);
      await quiet.call(NoopWithSchema, args);
      await logged.call(Noop, args);
      await logged.call(NoopWithSchema, args);
      await loud.call(Noop, args);
    }
    const results = await interleave(env.rounds(), {
      [DIRECT]: () => timePerCall(n, () => direct.call(args)),
      [CQRS]: () => timePerCall(n, () => bus.execute(new NoopCommand(args))),
      [OFF]: () => timePerCall(n, () => quiet.call(Noop, args)),
      [NEST_OFF]: () =>
        withNestLogging(
          () => void Logger.overrideLogger(false),
          () => timePerCall(n, () => loud.call(Noop, args)),
        ),
      [LEVELS_OFF]: () =>
        withNestLogging(
          () => void Logger.overrideLogger(['warn', 'error']),
          () => timePerCall(n, () => loud.call(Noop, args)),
        ),
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
        `sync: executor.call vs a direct call and CommandBus.execute (${n} calls a round, ${env.rounds()} rounds)`,
        'ns/call',
        results,
        overhead,
      ),
    );
    return {
      json: {
        sync: Object.fromEntries(
          Object.entries(results).map(([name, s]) => [name, { ...s, unit: 'ns/call', overheadNs: s.median - base }]),
        ),
      },
      targets: syncTargets(over),
    };
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

/** The sync targets, from each case's median overhead over the direct call. */
function syncTargets(over: (name: string) => number): TargetResult[] {
  const cqrs = Math.max(over(CQRS), 1);
  const againstPeer = (name: string, label: string): TargetResult => ({
    target: `${label}: overhead <= 2x CommandBus's`,
    measured: `+${fmt(over(name))} ns vs +${fmt(cqrs)} ns (${(over(name) / cqrs).toFixed(2)}x)`,
    pass: over(name) <= 2 * cqrs,
  });
  // "Costs nothing beyond logging: false": within the noise of one run, 10 % or 50 ns.
  const free = (name: string, label: string): TargetResult => {
    const extra = over(name) - over(OFF);
    return {
      target: `${label} costs nothing beyond logging: false (<= max(50 ns, 10 %))`,
      measured: `${extra >= 0 ? '+' : ''}${fmt(extra)} ns`,
      pass: extra <= Math.max(50, 0.1 * over(OFF)),
    };
  };
  return [
    againstPeer(OFF, 'executor.call no-op, logging: false'),
    againstPeer(NEST_OFF, 'executor.call no-op, Nest logger off'),
    againstPeer(LEVELS_OFF, 'executor.call no-op, levels without log/debug'),
    free(NEST_OFF, 'Nest logger off'),
    free(LEVELS_OFF, 'levels without log/debug'),
    free(DEBUG, 'success at debug under production levels'),
    {
      target: 'executor.call no-op, default success line at production levels: <= 500 ns over the direct call',
      measured: `+${fmt(over(INFO))} ns`,
      pass: over(INFO) <= 500,
    },
    {
      target: 'executor.call, compiled 5-property schema, logging: false: <= 3 us over the direct call',
      measured: `+${fmt(over(OFF_SCHEMA))} ns`,
      pass: over(OFF_SCHEMA) <= 3000,
    },
  ];
}

if (require.main === module) {
  void runSyncBench().then(({ json, targets }) => {
    for (const target of targets) console.log(`${target.pass ? 'PASS' : 'MISS'} ${target.target}: ${target.measured}`);
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
