import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type SchemaFiles = typeof import('nestjs-servus/validation/schema-files');

/**
 * A fresh copy of schema-files (its root is cached per process) seeing `entry` as require.main's
 * file and `argv1` as process.argv[1]; `use` runs with them in place.
 */
function withEntry<T>(entry: string | undefined, argv1: string | undefined, use: (files: SchemaFiles) => T): T {
  const main = require.main!;
  const saved = [main.filename, process.argv[1]] as const;
  try {
    main.filename = entry as string;
    process.argv[1] = argv1 as string;
    let files: SchemaFiles | undefined;
    jest.isolateModules(() => {
      files = jest.requireActual<SchemaFiles>('nestjs-servus/validation/schema-files');
    });
    return use(files!);
  } finally {
    [main.filename, process.argv[1]] = saved;
  }
}

/** A directory tree under the system's temporary directory, with a package.json at each of `packages`. */
function tree(packages: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'servus-root-'));
  for (const path of packages) {
    mkdirSync(join(dir, path), { recursive: true });
    writeFileSync(join(dir, path, 'package.json'), '{}');
  }
  return dir;
}

describe('applicationRoot (where relative schema directories start)', () => {
  const app = tree(['app', 'app/packages/api']);
  const bare = mkdtempSync(join(tmpdir(), 'servus-bare-'));

  it.each<[string, string | undefined, string | undefined, string]>([
    [
      'the directory of the package.json beside the entry script',
      join(app, 'app/main.js'),
      undefined,
      join(app, 'app'),
    ],
    ['the nearest package.json above it', join(app, 'app/dist/src/main.js'), undefined, join(app, 'app')],
    [
      'a nested package over the outer one',
      join(app, 'app/packages/api/dist/main.js'),
      undefined,
      join(app, 'app/packages/api'),
    ],
    ['process.argv[1] when there is no require.main', undefined, join(app, 'app/dist/main.js'), join(app, 'app')],
    [
      'require.main before process.argv[1]',
      join(app, 'app/packages/api/main.js'),
      join(app, 'app/main.js'),
      join(app, 'app/packages/api'),
    ],
    [
      'the working directory for a tool inside node_modules',
      join(app, 'app/node_modules/.bin/jest'),
      undefined,
      process.cwd(),
    ],
    ['the working directory without an entry script (a REPL)', undefined, undefined, process.cwd()],
    ['the working directory for an empty entry', '', '', process.cwd()],
    ['the working directory without any package.json above', join(bare, 'dist/main.js'), undefined, process.cwd()],
  ])('is %s', (_label, entry, argv1, root) => {
    expect(withEntry(entry, argv1, (files) => files.applicationRoot())).toBe(root);
  });

  it('is found from process.argv[1] in a process that has no require.main at all (node -e)', () => {
    const entry = join(app, 'app/dist/main.js');
    const source = require.resolve('nestjs-servus/validation/schema-files');
    const code = `process.stdout.write(require(${JSON.stringify(source)}).applicationRoot())`;
    const child = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code, entry], {
      encoding: 'utf8',
    });
    expect(child).toBe(withEntry(entry, undefined, (files) => files.applicationRoot()));
    expect(child).toBe(join(app, 'app'));
  });

  it('is found once: a later change of entry script does not move it', () => {
    withEntry(join(app, 'app/main.js'), undefined, (files) => {
      expect(files.applicationRoot()).toBe(join(app, 'app'));
      require.main!.filename = join(app, 'app/packages/api/main.js');
      expect(files.applicationRoot()).toBe(join(app, 'app'));
      expect(files.resolveSchemasDir()).toBe(join(app, 'app/schemas/services'));
    });
  });

  it.each<[string, string | undefined, string]>([
    ["the default 'schemas/services', under the root", undefined, 'app/schemas/services'],
    ['a relative directory, under the root', 'config/schemas', 'app/config/schemas'],
    ['a relative directory going up', '../shared/schemas', 'shared/schemas'],
  ])('resolves %s', (_label, schemasDir, path) => {
    expect(withEntry(join(app, 'app/main.js'), undefined, (files) => files.resolveSchemasDir(schemasDir))).toBe(
      join(app, path),
    );
  });

  it('takes an absolute schemas directory as it is', () => {
    expect(withEntry(join(app, 'app/main.js'), undefined, (files) => files.resolveSchemasDir('/srv/schemas'))).toBe(
      '/srv/schemas',
    );
  });
});
