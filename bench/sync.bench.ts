import 'reflect-metadata';
import { LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Service, ServiceBase, ServusExecutor, ServusModule, ServusModuleOptions } from '@app/servus';
import { env, fmt, interleave, table } from './bench-kit';

/**
 * Sync cost: an awaited direct call of a no-op service vs `executor.call`, without and
 * with a 5-property JSON Schema (ajv, compiled once at boot).
 */
interface Args {
  userId: number;
  reportType: 'daily' | 'monthly';
  email: string;
  limit: number;
  draft: boolean;
}

const SCHEMA = {
  type: 'object',
  required: ['userId', 'reportType', 'email', 'limit', 'draft'],
  properties: {
    userId: { type: 'integer', minimum: 1 },
    reportType: { enum: ['daily', 'monthly'] },
    email: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    draft: { type: 'boolean' },
  },
};

@Service({ name: 'bench.noop' })
class Noop extends ServiceBase<Args, number> {
  async call(args: Args) {
    return this.success(args.userId);
  }
}

@Service({ name: 'bench.noop-schema', arguments: SCHEMA })
class NoopWithSchema extends ServiceBase<Args, number> {
  async call(args: Args) {
    return this.success(args.userId);
  }
}

/** Production log levels (log, warn, error), written nowhere: the formatting is paid, not the terminal. */
class DiscardLogger implements LoggerService {
  log() {}
  warn() {}
  error() {}
}

async function executorFor(options: ServusModuleOptions): Promise<ServusExecutor> {
  @Module({ imports: [ServusModule.forRoot(options)], providers: [Noop, NoopWithSchema] })
  class BenchModule {}
  // Production levels first (they stick), then a logger that writes nowhere.
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['log', 'warn', 'error'] });
  app.useLogger(new DiscardLogger());
  return app.get(ServusExecutor);
}

async function timePerCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - started) / n;
}

export async function runSyncBench(): Promise<Record<string, unknown>> {
  const n = env.n(100_000);
  const quiet = await executorFor({ logging: false });
  const logged = await executorFor({ logging: { successLevel: 'debug' } });
  const loud = await executorFor({});
  const direct = new Noop();
  const args: Args = { userId: 7, reportType: 'monthly', email: 'ada@example.com', limit: 10, draft: false };

  // Warm up every path (JIT) before measuring.
  for (let i = 0; i < 20_000; i++) {
    await direct.call(args);
    await quiet.call(Noop, args);
    await quiet.call(NoopWithSchema, args);
    await logged.call(Noop, args);
    await loud.call(Noop, args);
  }
  const results = await interleave(env.rounds(), {
    'direct await service.call': () => timePerCall(n, () => direct.call(args)),
    'executor.call, no schema, logging off': () => timePerCall(n, () => quiet.call(Noop, args)),
    'executor.call, 5-property schema, logging off': () => timePerCall(n, () => quiet.call(NoopWithSchema, args)),
    'executor.call, no schema, success logged at debug (off in production)': () => timePerCall(n, () => logged.call(Noop, args)),
    'executor.call, no schema, success logged at info (default)': () => timePerCall(n, () => loud.call(Noop, args)),
  });
  const base = results['direct await service.call'].median;
  const overhead = Object.fromEntries(Object.entries(results).map(([name, s]) => [name, name.startsWith('direct') ? 'baseline' : `+${fmt(s.median - base)} ns`]));
  console.log(table(`sync (${n} calls a round, ${env.rounds()} rounds)`, 'ns/call', results, overhead));
  return { sync: Object.fromEntries(Object.entries(results).map(([name, s]) => [name, { ...s, overheadNs: s.median - base }])) };
}

if (require.main === module) {
  runSyncBench().then((json) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
