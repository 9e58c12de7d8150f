import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { schemaFile } from '../validation/schema-files';
import {
  ArgSpec,
  argumentsSchema,
  handlerFile,
  handlerSpecFile,
  resultSchema,
  serviceFile,
  serviceSpecFile,
} from './templates';

export interface GenerateOptions {
  cwd: string;
  /** Where sources go. Default 'src'. */
  root: string;
  /** Where schema files go (ServusModule's schemasDir). Default 'schemas/services'. */
  schemasDir: string;
  /** Module the generated files import Servus from. Default: 'nestjs-servus'. */
  importFrom?: string;
  /** Put on relative imports: '.js' in an ESM project (see module-format.ts). Default none. */
  extension?: '' | '.js';
  dryRun: boolean;
}

export interface PlannedFile {
  path: string;
  content: string;
}

/** Refused before anything is written: names the problem. */
export class GenerateError extends Error {}

const TYPES = ['string', 'number', 'integer', 'boolean', 'date'];

/** `servus generate service reports/archive userId:integer note:string?` */
export function planService(path: string, argSpecs: string[], options: GenerateOptions): PlannedFile[] {
  const segments = splitPath(path);
  const serviceName = segments.join('.');
  const className = pascal(segments[segments.length - 1]);
  const fileBase = kebab(segments[segments.length - 1]);
  const dir = join(options.root, ...segments.slice(0, -1).map(kebab));
  const args = argSpecs.map(parseArg);
  const importFrom = options.importFrom ?? 'nestjs-servus';
  const schemaBase = join(options.schemasDir, dirname(schemaFile(serviceName, 'arguments')));
  return [
    { path: join(dir, `${fileBase}.service.ts`), content: serviceFile({ className, serviceName }, args, importFrom) },
    {
      path: join(dir, `${fileBase}.service.spec.ts`),
      content: serviceSpecFile(
        { className, serviceName, unitFile: `${fileBase}.service${options.extension ?? ''}` },
        importFrom,
        options.schemasDir,
      ),
    },
    { path: join(schemaBase, 'arguments.json'), content: argumentsSchema(args) },
    { path: join(schemaBase, 'result.json'), content: resultSchema() },
  ];
}

/** `servus generate handler report.generated --invoke reports/archive` */
export function planHandler(event: string, invoke: string | undefined, options: GenerateOptions): PlannedFile[] {
  if (!/^[\w.-]+$/.test(event))
    throw new GenerateError(`"${event}" is not an event name (letters, digits, '.', '-', '_')`);
  if (!invoke)
    throw new GenerateError(
      'a handler needs the service it invokes: --invoke <service path>, e.g. --invoke reports/archive',
    );
  const segments = splitPath(invoke);
  const target = pascal(segments[segments.length - 1]);
  const targetFile = join(
    options.root,
    ...segments.slice(0, -1).map(kebab),
    `${kebab(segments[segments.length - 1])}.service.ts`,
  );
  if (!existsSync(resolve(options.cwd, targetFile))) {
    throw new GenerateError(
      `the invoked service ${targetFile} does not exist: generate it first (servus generate service ${invoke})`,
    );
  }
  const fileBase = kebab(event.replace(/\./g, '-'));
  const className = `${pascal(event.replace(/\./g, '-'))}Handler`;
  const dir = join(options.root, 'handlers');
  const extension = options.extension ?? '';
  let targetImport = relative(dir, targetFile).replace(/\\/g, '/').replace(/\.ts$/, extension);
  if (!targetImport.startsWith('.')) targetImport = `./${targetImport}`;
  const importFrom = options.importFrom ?? 'nestjs-servus';
  const method = camel(segments[segments.length - 1]);
  return [
    {
      path: join(dir, `${fileBase}.handler.ts`),
      content: handlerFile({ className, event, method, target, targetImport }, importFrom),
    },
    {
      path: join(dir, `${fileBase}.handler.spec.ts`),
      content: handlerSpecFile(
        { className, event, unitFile: `${fileBase}.handler${extension}`, target, targetImport },
        importFrom,
        options.schemasDir,
      ),
    },
  ];
}

/** Writes the files, or refuses if any exists; with dryRun, writes nothing. */
export function writePlanned(files: PlannedFile[], options: GenerateOptions): string[] {
  const existing = files.filter((file) => existsSync(resolve(options.cwd, file.path)));
  if (existing.length) throw new GenerateError(`refusing to overwrite ${existing.map((file) => file.path).join(', ')}`);
  if (!options.dryRun) {
    for (const file of files) {
      const target = resolve(options.cwd, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content, { flag: 'wx' });
    }
  }
  return files.map((file) => `${options.dryRun ? 'would create' : 'created'} ${file.path}`);
}

function parseArg(spec: string): ArgSpec {
  const match = /^([A-Za-z_$][\w$]*)(?::(\w+))?(\?)?$/.exec(spec);
  const type = (match?.[2] ?? 'string').toLowerCase();
  if (!match || !TYPES.includes(type)) {
    throw new GenerateError(
      `"${spec}" is not an argument: use name:type, type one of ${TYPES.join(', ')}, '?' at the end for optional`,
    );
  }
  return { name: match[1], type: type as ArgSpec['type'], optional: match[3] === '?' };
}

function splitPath(path: string): string[] {
  const segments = path.split(/[/.]/).filter(Boolean);
  if (!segments.length || segments.some((segment) => !/^[A-Za-z][\w-]*$/.test(segment))) {
    throw new GenerateError(
      `"${path}" is not a service path: use segments of letters, digits, '-' and '_', such as reports/archive`,
    );
  }
  return segments;
}

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .filter(Boolean);
}
const pascal = (text: string) =>
  words(text)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
const camel = (text: string) => pascal(text).replace(/^./, (first) => first.toLowerCase());
const kebab = (text: string) =>
  words(text)
    .map((word) => word.toLowerCase())
    .join('-');
