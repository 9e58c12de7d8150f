import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { InvalidSchemaError } from './invalid-schema.error';

/** Where file-based schemas live unless `schemasDir` says otherwise (relative to the application root). */
export const DEFAULT_SCHEMAS_DIR = 'schemas/services';

let root: string | undefined;

/**
 * The application's root directory: the nearest directory holding a package.json (outside
 * node_modules), going up from the entry script (`require.main`, else `process.argv[1]`).
 * `node dist/main.js` run from dist/, from /, or by a process manager finds the same root.
 * Without an entry script (a REPL), with an entry script that is a tool's (inside node_modules:
 * jest, vitest, ts-node, the Nest CLI, all started from the project), or without a package.json
 * above it, it is the working directory.
 */
export function applicationRoot(): string {
  if (root !== undefined) return root;
  const entry = require.main?.filename ?? process.argv[1];
  if (!entry || resolve(entry).split(sep).includes('node_modules')) return (root = process.cwd());
  const start = dirname(resolve(entry));
  for (let dir = start; ; dir = dirname(dir)) {
    if (!dir.split(sep).includes('node_modules') && existsSync(join(dir, 'package.json'))) return (root = dir);
    if (dirname(dir) === dir) return (root = process.cwd());
  }
}

/**
 * `schemasDir` as an absolute path: an absolute one as it is; a relative one (and the default
 * 'schemas/services') against applicationRoot(), never against the working directory.
 */
export function resolveSchemasDir(schemasDir: string = DEFAULT_SCHEMAS_DIR): string {
  return isAbsolute(schemasDir) ? schemasDir : resolve(applicationRoot(), schemasDir);
}

/**
 * Where a service's schema files live under `schemasDir`, as in Servus:
 * 'reports.generate' -> reports/generate/arguments.json; 'GenerateReport' -> generate_report/arguments.json.
 */
export function schemaFile(service: string, which: 'arguments' | 'result'): string {
  const path = service
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())
    .join('/');
  return `${path}/${which}.json`;
}

/**
 * The JSON of `<schemasDir>/<service path>/<which>.json`, or undefined when there is no such
 * file; a file that cannot be read or parsed is an InvalidSchemaError naming the service and file.
 * One reader for the boot (ContractCompiler) and the testing helpers (argumentsExample).
 */
export function readSchemaFile(
  schemasDir: string | undefined,
  service: string,
  which: 'arguments' | 'result',
): unknown {
  const file = join(resolveSchemasDir(schemasDir), schemaFile(service, which));
  if (!existsSync(file)) return undefined;
  try {
    // Stryker disable next-line StringLiteral: no encoding gives a Buffer, which JSON.parse reads as UTF-8 too
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidSchemaError(service, which, `${file}: ${(error as Error).message}`);
  }
}
