import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GenerateError } from './generate';

/**
 * The extension the generated files put on their relative imports: '.js' in an ESM project
 * (`"type": "module"` in its package.json, as Nest 12's CLI scaffolds it), where Node and
 * `module: nodenext` require it; none in a CommonJS project, where jest resolves the bare path
 * and TypeScript accepts it under `module: commonjs` and `nodenext` alike.
 */
export function relativeImportExtension(cwd: string): '' | '.js' {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { type?: unknown };
    return pkg.type === 'module' ? '.js' : '';
  } catch {
    return '';
  }
}

/** `--ext js` or `--ext none` from the command line, else what the project's package.json says. */
export function chooseExtension(flag: string | true | undefined, cwd: string): '' | '.js' {
  if (flag === undefined) return relativeImportExtension(cwd);
  if (flag === 'js') return '.js';
  if (flag === 'none') return '';
  throw new GenerateError(`--ext ${String(flag)}: use --ext js or --ext none`);
}
