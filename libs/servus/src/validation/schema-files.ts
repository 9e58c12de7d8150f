import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidSchemaError } from './invalid-schema.error';

/** Where file-based schemas live unless `schemasDir` says otherwise (relative to the working directory). */
export const DEFAULT_SCHEMAS_DIR = 'schemas/services';

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
export function readSchemaFile(schemasDir: string, service: string, which: 'arguments' | 'result'): unknown {
  const file = join(resolve(schemasDir), schemaFile(service, which));
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidSchemaError(service, which, `${file}: ${(error as Error).message}`);
  }
}
