import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from 'nestjs-servus/cli/servus';
import { ROOT } from '../support/app-process';

/**
 * `servus generate` in a temp copy of a project (the library's sources, this tsconfig, the
 * installed node_modules): the generated files compile, and the generated specs pass as generated.
 */
describe('servus generate', () => {
  const project = mkdtempSync(join(tmpdir(), 'servus-gen-'));
  const run = (...argv: string[]) => main(argv, project);
  let log: jest.SpyInstance;
  let errors: jest.SpyInstance;

  beforeAll(() => {
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
    // The library as a user has it: its sources without its own specs (which lean on this repo's test/ helpers).
    cpSync(join(ROOT, 'libs/servus/src'), join(project, 'libs/servus/src'), {
      recursive: true,
      filter: (source) => !source.endsWith('.spec.ts'),
    });
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ ...tsconfig, include: ['src/**/*.ts', 'libs/**/*.ts'] }, null, 2),
    );
    writeFileSync(
      join(project, 'tsconfig.spec.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { isolatedModules: true } }),
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the repo's own CommonJS jest config, read as jest reads it
    const repoJest = require(join(ROOT, 'jest.config.js')) as { moduleNameMapper: Record<string, string> };
    const jestConfig = {
      ...repoJest,
      rootDir: project,
      roots: ['<rootDir>/src'],
      setupFilesAfterEnv: [],
      // What a jest user with ESM-style imports (`./x.js`, `--ext js`) adds to resolve them to the .ts files.
      moduleNameMapper: { ...repoJest.moduleNameMapper, '^(\\.{1,2}/.*)\\.js$': '$1' },
    };
    writeFileSync(join(project, 'jest.config.js'), `module.exports = ${JSON.stringify(jestConfig)};`);
  });
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('--dry-run lists the files and writes nothing', () => {
    expect(run('generate', 'service', 'reports/archive', 'userId:integer', '--dry-run')).toBe(0);
    expect(log.mock.calls.map(([line]) => line)).toEqual([
      'would create src/reports/archive.service.ts',
      'would create src/reports/archive.service.spec.ts',
      'would create schemas/services/reports/archive/arguments.json',
      'would create schemas/services/reports/archive/result.json',
    ]);
    expect(existsSync(join(project, 'src'))).toBe(false);
  });

  it('generates a service, its spec and its schemas, named after the path; imports nestjs-servus in this monorepo', () => {
    expect(run('generate', 'service', 'reports/archive', 'userId:integer', 'reportType:string', 'until:date?')).toBe(0);
    const source = readFileSync(join(project, 'src/reports/archive.service.ts'), 'utf8');
    expect(source).toContain("import { Service, ServiceBase } from 'nestjs-servus';");
    expect(source).toContain("@Service({ name: 'reports.archive' })");
    expect(source).toContain('export class Archive extends ServiceBase<ArchiveArgs, ArchiveResult>');
    expect(source).toMatch(/userId: number;\n {2}reportType: string;\n {2}until\?: string;/);
    const schema = JSON.parse(readFileSync(join(project, 'schemas/services/reports/archive/arguments.json'), 'utf8'));
    expect(schema.required).toEqual(['userId', 'reportType']);
    expect(schema.properties.until).toEqual({ type: 'string', format: 'date', example: '2026-01-01' });
  });

  it('generates an event handler invoking a service, and its spec', () => {
    expect(run('generate', 'handler', 'report.generated', '--invoke', 'reports/archive')).toBe(0);
    const source = readFileSync(join(project, 'src/handlers/report-generated.handler.ts'), 'utf8');
    expect(source).toContain("@EventHandler('report.generated')");
    expect(source).toContain("import { Archive } from '../reports/archive.service';");
    // A type in a decorated signature: `import type`, or isolatedModules + emitDecoratorMetadata (Nest's scaffold) refuse it.
    expect(source).toContain("import type { ArchiveArgs } from '../reports/archive.service';");
    expect(existsSync(join(project, 'src/handlers/report-generated.handler.spec.ts'))).toBe(true);
  });

  it('refuses to overwrite, and refuses bad input, writing nothing', () => {
    const before = readFileSync(join(project, 'src/reports/archive.service.ts'), 'utf8');
    expect(run('generate', 'service', 'reports/archive')).toBe(1);
    expect(errors).toHaveBeenCalledWith(
      expect.stringContaining('servus: refusing to overwrite src/reports/archive.service.ts'),
    );
    expect(readFileSync(join(project, 'src/reports/archive.service.ts'), 'utf8')).toBe(before);
    expect(run('generate', 'service', 'reports/other', 'count:float')).toBe(1);
    expect(errors).toHaveBeenLastCalledWith(expect.stringContaining('"count:float" is not an argument'));
    expect(run('generate', 'handler', 'x.happened')).toBe(1);
    expect(errors).toHaveBeenLastCalledWith(
      expect.stringContaining('a handler needs the service it invokes: --invoke'),
    );
    expect(run('generate', 'handler', 'x.happened', '--invoke', 'nope/missing')).toBe(1);
    expect(existsSync(join(project, 'src/reports/other.service.ts'))).toBe(false);
  });

  it('--ext js ends relative imports in .js (TypeScript 6 resolves them under module commonjs too)', () => {
    expect(run('generate', 'service', 'billing/charge', 'amount:integer', '--ext', 'js')).toBe(0);
    expect(run('generate', 'handler', 'payment.received', '--invoke', 'billing/charge', '--ext', 'js')).toBe(0);
    expect(readFileSync(join(project, 'src/billing/charge.service.spec.ts'), 'utf8')).toContain(
      "import { Charge } from './charge.service.js';",
    );
    const handler = readFileSync(join(project, 'src/handlers/payment-received.handler.ts'), 'utf8');
    expect(handler).toContain("import type { ChargeArgs } from '../billing/charge.service.js';");
    expect(readFileSync(join(project, 'src/handlers/payment-received.handler.spec.ts'), 'utf8')).toContain(
      "import { PaymentReceivedHandler } from './payment-received.handler.js';",
    );
    expect(run('generate', 'service', 'billing/refund', '--ext', 'cjs')).toBe(1);
    expect(errors).toHaveBeenLastCalledWith('servus: --ext cjs: use --ext js or --ext none');
  });

  it('in an ESM project ("type": "module", as Nest 12 scaffolds it) relative imports end in .js by default', () => {
    const esm = mkdtempSync(join(tmpdir(), 'servus-gen-esm-'));
    try {
      writeFileSync(join(esm, 'package.json'), JSON.stringify({ type: 'module' }));
      expect(main(['generate', 'service', 'billing/charge'], esm)).toBe(0);
      expect(main(['generate', 'handler', 'payment.received', '--invoke', 'billing/charge'], esm)).toBe(0);
      expect(readFileSync(join(esm, 'src/billing/charge.service.spec.ts'), 'utf8')).toContain(
        "from './charge.service.js';",
      );
      expect(readFileSync(join(esm, 'src/handlers/payment-received.handler.ts'), 'utf8')).toContain(
        "from '../billing/charge.service.js';",
      );
      // --ext none wins over the package.json.
      expect(main(['generate', 'service', 'billing/refund', '--ext', 'none'], esm)).toBe(0);
      expect(readFileSync(join(esm, 'src/billing/refund.service.spec.ts'), 'utf8')).toContain(
        "import { Refund } from './refund.service';",
      );
    } finally {
      rmSync(esm, { recursive: true, force: true });
    }
  });

  it('the generated code compiles and the generated specs pass as generated', () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project], {
      cwd: project,
      stdio: 'pipe',
      maxBuffer: 16 << 20,
    });
    const jest = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/jest/bin/jest.js'), '-c', join(project, 'jest.config.js'), '--ci'],
      {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    expect(jest.stderr).toMatch(/PASS src\/reports\/archive\.service\.spec\.ts/);
    expect(jest.stderr).toMatch(/PASS src\/handlers\/report-generated\.handler\.spec\.ts/);
    expect(jest.stderr).toMatch(/PASS src\/billing\/charge\.service\.spec\.ts/);
    expect(jest.stderr).toMatch(/PASS src\/handlers\/payment-received\.handler\.spec\.ts/);
    expect(jest.stderr).toMatch(/Tests: +4 passed, 4 total/);
    expect(jest.status).toBe(0);
  }, 120_000);
});
