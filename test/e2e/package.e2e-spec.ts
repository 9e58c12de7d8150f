import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ROOT } from '../support/app-process';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';

/**
 * `npm pack` of libs/servus installs as `nestjs-servus` into a throwaway Nest app (a temp
 * folder, the local tarball, packages from the npm cache) and runs `call` and `callAsync`
 * there, on Nest 12 and on Nest 11: compiled JS and .d.ts, peers as declared.
 */
const APP_TS = `
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NotFoundError, Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { Registry } from 'prom-client';

@Service({ name: 'greet', arguments: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } })
class Greet extends ServiceBase<{ name: string }, { text: string }> {
  async call({ name }: { name: string }) {
    if (name === 'nobody') return this.failure('Nobody to greet', NotFoundError);
    return this.success({ text: 'Hello, ' + name });
  }
}

const registry = new Registry();

@Module({
  imports: [
    ServusModule.forRoot({ connection: { url: process.env.REDIS_URL! }, prefix: process.env.PREFIX, worker: true, logging: false }),
    ServusMetricsModule.forRoot({ registry, defaultMetrics: false }),
    ServusHealthModule.forRoot(),
  ],
  providers: [Greet],
})
class AppModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const executor = app.get(ServusExecutor);
  const now = await executor.call(Greet, { name: 'Ada' });
  const failed = await executor.call(Greet, { name: 'nobody' });
  const receipt = await executor.callAsync(Greet, { name: 'Grace' });
  const later = await executor.result<{ text: string }>(receipt, { timeoutMs: 10000 });
  const calls = (await registry.getSingleMetricAsString('servus_calls_total')).split('\\n').filter((line) => line.startsWith('servus_calls_total{')).sort();
  console.log(JSON.stringify({ now, failed: failed.error!.apiError(), later, queue: receipt.queue, calls }));
  await app.close();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'commonjs',
    target: 'ES2022',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    skipLibCheck: false,
    types: ['node'],
    rootDir: '.',
  },
  files: ['app.ts'],
};

const NEST = {
  12: ['@nestjs/common@12.5.1', '@nestjs/core@12.5.1', '@nestjs/terminus@12.1.0'],
  11: ['@nestjs/common@11.2.10', '@nestjs/core@11.2.10', '@nestjs/terminus@11.1.1'],
};
const SHARED = [
  '@types/node@20',
  'bullmq@6.7.0',
  'reflect-metadata@0.2.2',
  'rxjs@7.8.2',
  'class-validator@0.15.1',
  'class-transformer@0.5.1',
  'prom-client@15.1.3',
];

describe('the packed library (nestjs-servus)', () => {
  const work = mkdtempSync(join(tmpdir(), 'servus-pack-'));
  const redis = new Redis(REDIS_URL);
  const prefixes: string[] = [];
  let tarball: string;

  beforeAll(() => {
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: join(ROOT, 'libs/servus'), stdio: 'pipe' });
    tarball = join(
      work,
      readdirSync(work).find((file) => file.endsWith('.tgz'))!,
    );
  }, 120_000);

  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
    rmSync(work, { recursive: true, force: true });
  });

  it.each([12, 11] as const)(
    'installs into a Nest %s app, type-checks against its .d.ts, and runs call and callAsync',
    (nest) => {
      const app = join(work, `nest${nest}`);
      execFileSync('mkdir', ['-p', app]);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `servus-pack-nest${nest}`, private: true }));
      execFileSync(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          tarball,
          ...NEST[nest],
          ...SHARED,
        ],
        {
          cwd: app,
          stdio: 'pipe',
          timeout: 240_000,
        },
      );
      writeFileSync(join(app, 'app.ts'), APP_TS);
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      // Type errors would fail here, with tsc's report as the message.
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], {
        cwd: app,
        stdio: 'pipe',
        maxBuffer: 16 << 20,
      });

      const prefix = uniquePrefix(`pack${nest}`);
      prefixes.push(prefix);
      const output = execFileSync(process.execPath, ['app.js'], {
        cwd: app,
        env: { ...process.env, REDIS_URL, PREFIX: prefix },
        timeout: 30_000,
      }).toString();
      expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({
        now: { success: true, data: { text: 'Hello, Ada' } },
        failed: { code: 'not_found', message: 'Nobody to greet' },
        later: { success: true, data: { text: 'Hello, Grace' } },
        queue: 'default',
        // The metrics entry point counts what ran (Grace in the in-process worker, on queue default).
        calls: [
          'servus_calls_total{service="greet",queue="",outcome="failure",code="not_found"} 1',
          'servus_calls_total{service="greet",queue="",outcome="success",code=""} 1',
          'servus_calls_total{service="greet",queue="default",outcome="success",code=""} 1',
        ],
      });

      // The testing entry point and the generator's bin ship too.
      const testing = execFileSync(
        process.execPath,
        ['-e', "console.log(typeof require('nestjs-servus/testing').ServusTestingModule.forRoot)"],
        { cwd: app },
      ).toString();
      expect(testing.trim()).toBe('function');
      const help = execFileSync(join(app, 'node_modules/.bin/servus'), ['--help'], { cwd: app }).toString();
      expect(help).toContain('servus generate service <path>');
    },
    300_000,
  );
});
