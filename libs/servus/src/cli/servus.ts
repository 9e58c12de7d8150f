#!/usr/bin/env node
import { GenerateError, GenerateOptions, planHandler, planService, writePlanned } from './generate';
import { DEFAULT_SCHEMAS_DIR } from '../validation/schema-files';
import { chooseExtension } from './module-format';

const USAGE = `Usage:
  servus generate service <path> [name:type[?] ...]   e.g. servus generate service reports/archive userId:integer note:string?
  servus generate handler <event> --invoke <service path>
Options: --dry-run  --root <src dir> (default src)  --schemas <dir> (default schemas/services)  --import <module>
         --ext js|none (relative imports end in .js or not; default: .js when package.json says "type": "module")
Types: string, number, integer, boolean, date. Existing files are never overwritten.`;

/** The `servus` command: scaffolds services and event handlers with their specs and schemas. */
export function main(argv: string[], cwd = process.cwd()): number {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) positional.push(arg);
    else if (arg === '--dry-run' || arg === '--help') flags.set(arg, true);
    else flags.set(arg, argv[++i] ?? '');
  }
  const [command, kind, target, ...rest] = positional;
  if (flags.has('--help') || command !== 'generate' || !kind || !target) {
    console.log(USAGE);
    return flags.has('--help') ? 0 : 1;
  }
  try {
    const options: GenerateOptions = {
      cwd,
      root: String(flags.get('--root') ?? 'src'),
      schemasDir: String(flags.get('--schemas') ?? DEFAULT_SCHEMAS_DIR),
      importFrom: flags.has('--import') ? String(flags.get('--import')) : undefined,
      extension: chooseExtension(flags.get('--ext'), cwd),
      dryRun: flags.has('--dry-run'),
    };
    const files =
      kind === 'service'
        ? planService(target, rest, options)
        : kind === 'handler'
          ? planHandler(target, flags.get('--invoke') as string | undefined, options)
          : undefined;
    if (!files) throw new GenerateError(`cannot generate "${kind}": use service or handler`);
    for (const line of writePlanned(files, options)) console.log(line);
    return 0;
  } catch (error) {
    if (!(error instanceof GenerateError)) throw error;
    console.error(`servus: ${error.message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
