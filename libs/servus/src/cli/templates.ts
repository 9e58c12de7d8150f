/** The files the generator writes, as text. Kept apart from the CLI so their shape is easy to read. */

export interface ArgSpec {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'date';
  optional: boolean;
}

const TS_TYPES: Record<ArgSpec['type'], string> = {
  string: 'string',
  number: 'number',
  integer: 'number',
  boolean: 'boolean',
  date: 'string',
};
const SCHEMAS: Record<ArgSpec['type'], object> = {
  string: { type: 'string', example: 'example' },
  number: { type: 'number', example: 1.5 },
  integer: { type: 'integer', example: 1 },
  boolean: { type: 'boolean', example: true },
  date: { type: 'string', format: 'date', example: '2026-01-01' },
};

export function serviceFile(
  names: { className: string; serviceName: string },
  args: ArgSpec[],
  importFrom: string,
): string {
  const fields = args.map((arg) => `  ${arg.name}${arg.optional ? '?' : ''}: ${TS_TYPES[arg.type]};`).join('\n');
  return `import { Service, ServiceBase } from '${importFrom}';

export interface ${names.className}Args {
${fields || '  // no arguments yet'}
}

export interface ${names.className}Result {
  done: boolean;
}

/**
 * ${names.serviceName}: say what this operation does, in one sentence.
 * Contracts: schemas/services/.../arguments.json and result.json.
 */
@Service({ name: '${names.serviceName}' })
export class ${names.className} extends ServiceBase<${names.className}Args, ${names.className}Result> {
  async call(args: ${names.className}Args) {
    void args;
    return this.success({ done: true });
  }
}
`;
}

export function serviceSpecFile(
  names: { className: string; serviceName: string; unitFile: string },
  importFrom: string,
  schemasDir: string,
): string {
  return `import { Test, TestingModule } from '@nestjs/testing';
import { ServusExecutor } from '${importFrom}';
import { argumentsExample, ServusTestingModule } from '${importFrom}/testing';
import { ${names.className} } from './${names.unitFile}';

describe('${names.className} (${names.serviceName})', () => {
  let moduleRef: TestingModule;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [ServusTestingModule.forRoot({ schemasDir: '${schemasDir}' })],
      providers: [${names.className}],
    }).compile();
    await moduleRef.init();
  });

  afterEach(() => moduleRef?.close());

  it('succeeds with the example arguments of its schema', async () => {
    const args = argumentsExample(${names.className}, undefined, { schemasDir: '${schemasDir}' });
    const response = await moduleRef.get(ServusExecutor).call(${names.className}, args);
    expect(response.success).toBe(true);
  });
});
`;
}

export function argumentsSchema(args: ArgSpec[]): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: args.filter((arg) => !arg.optional).map((arg) => arg.name),
    additionalProperties: false,
    properties: Object.fromEntries(args.map((arg) => [arg.name, SCHEMAS[arg.type]])),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function resultSchema(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['done'],
    properties: { done: { type: 'boolean', example: true } },
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function handlerFile(
  names: { className: string; event: string; method: string; target: string; targetImport: string },
  importFrom: string,
): string {
  return `import { EventHandler, Invoke } from '${importFrom}';
import { ${names.target} } from '${names.targetImport}';
import type { ${names.target}Args } from '${names.targetImport}';

/** What happens when '${names.event}' is emitted. */
@EventHandler('${names.event}')
export class ${names.className} {
  /** Maps the event's payload to ${names.target}'s arguments. */
  @Invoke(${names.target})
  ${names.method}(payload: ${names.target}Args): ${names.target}Args {
    return payload;
  }
}
`;
}

export function handlerSpecFile(
  names: { className: string; event: string; unitFile: string; target: string; targetImport: string },
  importFrom: string,
  schemasDir: string,
): string {
  return `import { Test, TestingModule } from '@nestjs/testing';
import { ServusEvents } from '${importFrom}';
import { argumentsExample, ServusTestingModule } from '${importFrom}/testing';
import { ${names.target} } from '${names.targetImport}';
import { ${names.className} } from './${names.unitFile}';

describe('${names.className} (${names.event})', () => {
  let moduleRef: TestingModule;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      // strict: false until a service declares @Emits('${names.event}')
      imports: [ServusTestingModule.forRoot({ schemasDir: '${schemasDir}', events: { strict: false } })],
      providers: [${names.target}, ${names.className}],
    }).compile();
    await moduleRef.init();
  });

  afterEach(() => moduleRef?.close());

  it('invokes ${names.target} with the mapped payload', async () => {
    const payload = argumentsExample(${names.target}, undefined, { schemasDir: '${schemasDir}' });
    const report = await moduleRef.get(ServusEvents).emit('${names.event}', payload);
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(['called']);
  });
});
`;
}
