import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ROOT } from '../support/app-process';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { MODULES, PackedApp, PACKED_APPS } from './fixtures/packed-app/packed-apps';

/**
 * `npm pack` of libs/servus installs as `nestjs-servus` into throwaway apps (a temp folder, the
 * local tarball, packages from the npm cache): Nest 11 CommonJS (`module: commonjs`), Nest 12
 * CommonJS and Nest 12 ESM + vitest (both as Nest's CLI scaffolds them, `module: nodenext`).
 * Each imports every entry through the exports map, type-checks against the .d.ts without
 * skipLibCheck, starts over HTTP, runs `servus generate` and, where it has one, its test runner.
 */
const FIXTURES = join(ROOT, 'test/e2e/fixtures/packed-app');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const ENTRIES = ['', '/extend', '/testing', '/metrics', '/health', '/dashboard'];

describe('the packed library (nestjs-servus)', () => {
  const work = mkdtempSync(join(tmpdir(), 'servus-pack-'));
  const redis = new Redis(REDIS_URL);
  const prefixes: string[] = [];
  let tarball: string;

  beforeAll(async () => {
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: join(ROOT, 'libs/servus'), stdio: 'pipe' });
    tarball = join(
      work,
      readdirSync(work).find((file) => file.endsWith('.tgz'))!,
    );
    // One install per Nest major, both at once (mostly waiting on the disk and the npm cache).
    await Promise.all(
      Object.entries(MODULES).map(async ([name, packages]) => {
        const dir = join(work, name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `servus-pack-${name}`, private: true }));
        const args = [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          tarball,
          ...packages,
        ];
        await promisify(execFile)('npm', args, { cwd: dir, timeout: 400_000, maxBuffer: 16 << 20 });
      }),
    );
  }, 600_000);

  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
    rmSync(work, { recursive: true, force: true });
  });

  it('holds README, LICENSE, CHANGELOG and both faces of every entry, and no specs or fixtures', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']));
    for (const entry of ['index', 'extend', 'testing/index', 'metrics/index', 'health/index', 'dashboard/index']) {
      expect(files).toEqual(
        expect.arrayContaining([`dist/${entry}.js`, `dist/${entry}.d.ts`, `dist/${entry}.mjs`, `dist/${entry}.d.mts`]),
      );
    }
    expect(files).toEqual(expect.arrayContaining(['dist/testing/vitest-setup.mjs', 'dist/testing/jest-setup.js']));
    expect(files.filter((file) => /\.spec\.|__fixtures__|tsbuildinfo|^src\/|^scripts\//.test(file))).toEqual([]);
    expect(readFileSync(join(ROOT, 'libs/servus/LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it.each(PACKED_APPS.map((app) => [app.name, app] as const))(
    'a %s app installs it, type-checks, starts with every entry, generates code and runs its specs',
    (name, kind) => {
      const app = join(work, name);
      install(app, kind);
      // Type errors (the app, its specs, generated code, the package's .d.ts) fail here, with tsc's report.
      run(process.execPath, [TSC, '-p', app], app);

      const prefix = uniquePrefix(`pack-${name}`);
      prefixes.push(prefix);
      const output = run(process.execPath, ['dist/src/main.js'], app, { REDIS_URL, PREFIX: prefix });
      expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({
        now: { success: true, data: { text: 'Hello, Ada' } },
        failed: { code: 'not_found', message: 'Nobody to greet' },
        later: { success: true, data: { text: 'Hello, Grace' } },
        // The metrics entry counts what ran (Grace in the in-process worker, on queue default).
        calls: [
          'servus_calls_total{service="greet",queue="",outcome="failure",code="not_found"} 1',
          'servus_calls_total{service="greet",queue="",outcome="success",code=""} 1',
          'servus_calls_total{service="greet",queue="default",outcome="success",code=""} 1',
        ],
        health: { status: 200, body: expect.objectContaining({ status: 'ok' }) as unknown },
        dashboard: { anonymous: 401, authorized: 200 },
        entries: { testing: 'function', extend: 'symbol' },
      });

      // import and require give the same objects: one copy of the module state, whichever way in.
      const same = run(process.execPath, ['--input-type=module', '-e', sameModuleScript()], app);
      expect(JSON.parse(same)).toEqual(
        ENTRIES.map((entry) => ({ entry, names: expect.any(Number) as unknown, same: true })),
      );

      if (kind.runner) {
        const result = spawnSync(process.execPath, kind.runner.command, {
          cwd: app,
          encoding: 'utf8',
          env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true' },
          timeout: 180_000,
        });
        const report = result.stdout + result.stderr;
        expect(report).toMatch(kind.runner.passed);
        expect(result.status).toBe(0);
      }
      const help = run(join(app, 'node_modules/.bin/servus'), ['--help'], app);
      expect(help).toContain('servus generate service <path>');
    },
    300_000,
  );

  function install(app: string, kind: PackedApp): void {
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: `servus-pack-${kind.name}`, private: true, ...kind.packageJson }),
    );
    symlinkSync(join(work, kind.modules, 'node_modules'), join(app, 'node_modules'), 'dir');
    for (const [file, content] of Object.entries(kind.files)) writeFileSync(join(app, file), content);
    for (const fixture of ['main', 'app.module', 'greet.service'])
      copyFixture(`${fixture}.ts`, `src/${fixture}.ts`, app, kind);
    copyFixture('greet.matchers.ts', 'src/greet.service.spec.ts', app, kind);
    // The generator, as a user runs it: a service and a handler, with the project's import style.
    run(join(app, 'node_modules/.bin/servus'), ['generate', 'service', 'billing/charge', 'amount:integer'], app);
    run(
      join(app, 'node_modules/.bin/servus'),
      ['generate', 'handler', 'payment.received', '--invoke', 'billing/charge'],
      app,
    );
    const generated = readFileSync(join(app, 'src/billing/charge.service.spec.ts'), 'utf8');
    expect(generated).toContain(`from './charge.service${kind.esm ? '.js' : ''}';`);
  }

  /** The fixtures are written ESM-style (`./x.js`); a CommonJS app gets them as its scaffold writes: `./x`. */
  function copyFixture(from: string, to: string, app: string, kind: PackedApp): void {
    const source = readFileSync(join(FIXTURES, from), 'utf8');
    writeFileSync(join(app, to), kind.esm ? source : source.replace(/from '(\.\.?\/[^']+)\.js'/g, "from '$1'"));
  }
});

/** Runs a command to its end; a failure's message carries the command's own output (tsc's report, a stack). */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.slice(-8000);
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

/** For each entry: import and require load it, with the same names and the very same objects. */
function sameModuleScript(): string {
  return `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const out = [];
for (const entry of ${JSON.stringify(ENTRIES)}) {
  const esm = await import('nestjs-servus' + entry);
  const cjs = require('nestjs-servus' + entry);
  const names = Object.keys(esm).sort();
  const same = names.join() === Object.keys(cjs).sort().join() && names.every((name) => esm[name] === cjs[name]);
  out.push({ entry, names: names.length, same });
}
console.log(JSON.stringify(out));
`;
}
