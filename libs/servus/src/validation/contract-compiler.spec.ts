import Ajv from 'ajv';
import { IsInt, IsString } from 'class-validator';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from 'nestjs-servus/response/http-errors';
import { InvalidSchemaError } from 'nestjs-servus/validation/invalid-schema.error';
import { ContractCompiler } from 'nestjs-servus/validation/contract-compiler';
import { readSchemaFile, schemaFile } from 'nestjs-servus/validation/schema-files';

class GreetArgs {
  @IsString()
  name!: string;
}

/** No class-validator decorator at all: with forbidUnknownValues, class-validator refuses it. */
class Undecorated {
  name?: string;
}

class GreetResult {
  @IsInt()
  count!: number;
}

/** A schemas directory of its own, with `files` written under it. */
function schemasDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'servus-schemas-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('schemaFile (where a service schema lives, as in Servus)', () => {
  it.each([
    ['reports.generate', 'arguments', 'reports/generate/arguments.json'],
    ['GenerateReport', 'arguments', 'generate_report/arguments.json'],
    ['generateReport', 'result', 'generate_report/result.json'],
    ['Reports.GenerateMonthly', 'arguments', 'reports/generate_monthly/arguments.json'],
    ['report2Pdf', 'arguments', 'report2_pdf/arguments.json'],
    ['already_snake.case', 'result', 'already_snake/case/result.json'],
    ['a.b.c', 'arguments', 'a/b/c/arguments.json'],
  ] as const)('maps %p (%s) to %p', (service, which, path) => {
    expect(schemaFile(service, which)).toBe(path);
  });
});

describe('readSchemaFile', () => {
  it('reads the JSON of the file, or undefined when there is none', () => {
    const dir = schemasDir({ 'files/greet/arguments.json': '{"type":"object"}' });
    expect(readSchemaFile(dir, 'files.greet', 'arguments')).toEqual({ type: 'object' });
    expect(readSchemaFile(dir, 'files.greet', 'result')).toBeUndefined();
  });

  it('refuses a file that is not JSON, naming the service and the file', () => {
    const dir = schemasDir({ 'files/greet/arguments.json': '{ nope' });
    expect(() => readSchemaFile(dir, 'files.greet', 'arguments')).toThrow(
      `Invalid arguments schema for service files.greet: ${join(dir, 'files/greet/arguments.json')}: `,
    );
  });
});

describe('ContractCompiler', () => {
  const compiler = (dir = schemasDir({})) => new ContractCompiler({ schemasDir: dir });

  it('compiles nothing when a service declares nothing and has no files', () => {
    expect(compiler().compile('files.none', { name: 'files.none' })).toEqual({
      arguments: undefined,
      result: undefined,
    });
    expect(compiler().compilePayload('handler', undefined)).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['an array', [{ type: 'object' }]],
    ['a string', 'object'],
    ['a number', 7],
    ['true', true],
  ])('refuses a declared schema that is %s, naming the service', (_label, schema) => {
    expect(() => compiler().compile('s.bad', { name: 's.bad', arguments: schema as object })).toThrow(
      'Invalid arguments schema for service s.bad: expected a JSON Schema object or a class-validator DTO class',
    );
    expect(() => compiler().compile('s.bad', { name: 's.bad', result: schema as object })).toThrow(
      'Invalid result schema for service s.bad: expected a JSON Schema object or a class-validator DTO class',
    );
    expect(() => compiler().compilePayload('h.bad', schema as object)).toThrow(
      'Invalid payload schema for event handler h.bad: expected a JSON Schema object or a class-validator DTO class',
    );
  });

  it.each([
    ['null', 'null'],
    ['an array', '[1]'],
    ['a string', '"object"'],
  ])('refuses a schema file holding %s', (_label, text) => {
    const dir = schemasDir({ 's/bad/arguments.json': text });
    expect(() => compiler(dir).compile('s.bad', { name: 's.bad' })).toThrow(
      'Invalid arguments schema for service s.bad: expected a JSON Schema object or a class-validator DTO class',
    );
  });

  it('reads both files of a service', async () => {
    const dir = schemasDir({
      's/files/arguments.json': '{"type":"object","properties":{"n":{"type":"integer","default":1}}}',
      's/files/result.json': '{"type":"object","required":["ok"]}',
    });
    const contracts = compiler(dir).compile('s.files', { name: 's.files' });
    expect(await contracts.arguments!.validate({}, 's.files')).toEqual({ n: 1 });
    await expect(Promise.resolve().then(() => contracts.result!.validate({}, 's.files'))).rejects.toThrow(/ok/);
  });

  it('prefers the declared schema to the file', async () => {
    const dir = schemasDir({ 's/both/arguments.json': '{"type":"string"}' });
    const contracts = compiler(dir).compile('s.both', { name: 's.both', arguments: { type: 'object' } });
    expect(await contracts.arguments!.validate({ a: 1 }, 's.both')).toEqual({ a: 1 });
  });

  it('hands an argument DTO over as an instance with undeclared fields stripped', async () => {
    const { arguments: contract } = compiler().compile('s.dto', { name: 's.dto', arguments: GreetArgs });
    const validated = await contract!.validate({ name: 'ada', extra: 1 }, 's.dto');
    expect(validated).toBeInstanceOf(GreetArgs);
    expect(validated).toEqual(Object.assign(new GreetArgs(), { name: 'ada' }));
  });

  it('hands a result DTO the data back unchanged (the same object, undeclared fields kept)', async () => {
    const { result: contract } = compiler().compile('s.dto', { name: 's.dto', result: GreetResult });
    const data = { count: 2, extra: 'kept' };
    expect(await contract!.validate(data, 's.dto')).toBe(data);
    expect(data).toEqual({ count: 2, extra: 'kept' });
  });

  it('refuses a schema ajv cannot compile, naming the service and the reason', () => {
    expect(() =>
      compiler().compile('s.typo', { name: 's.typo', arguments: { type: 'object', requird: ['a'] } }),
    ).toThrow(/^Invalid arguments schema for service s\.typo: strict mode: unknown keyword: "requird"$/);
  });

  it('compiles a 2020-12 schema with the 2020-12 dialect, and a draft-07 one without it', async () => {
    const tuple = { type: 'array', prefixItems: [{ type: 'integer' }] };
    const contracts = compiler().compile('s.2020', {
      name: 's.2020',
      arguments: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...tuple },
    });
    expect(await contracts.arguments!.validate([1], 's.2020')).toEqual([1]);
    expect(() => compiler().compile('s.07', { name: 's.07', arguments: tuple })).toThrow(
      /Invalid arguments schema for service s\.07: strict mode: unknown keyword: "prefixItems"/,
    );
  });

  it('compiles a schema that names draft-07 in $schema with draft-07', async () => {
    const tuple = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'integer' }] };
    const contracts = compiler().compile('s.07', { name: 's.07', arguments: tuple });
    expect(await contracts.arguments!.validate([1], 'arguments for s.07')).toEqual([1]);
    expect(() => contracts.arguments!.validate(['x'], 'arguments for s.07')).toThrow(
      'Invalid arguments for s.07: [0] must be integer (type)',
    );
  });

  it("refuses an $id that is not a string with the meta-schema's words", () => {
    expect(() => compiler().compile('s.id', { name: 's.id', arguments: { $id: 5, type: 'object' } })).toThrow(
      'Invalid arguments schema for service s.id: schema is invalid: data/$id must be string',
    );
  });

  it.each([
    ['draft-07', {}],
    ['2020-12', { $schema: 'https://json-schema.org/draft/2020-12/schema' }],
  ])('accepts the example keyword (OpenAPI style) in a %s schema of a new compiler', async (_label, dialect) => {
    const schema = { ...dialect, type: 'object', properties: { id: { type: 'integer', example: 7 } }, example: {} };
    const contracts = compiler().compile('s.example', { name: 's.example', arguments: schema });
    expect(await contracts.arguments!.validate({ id: 7 }, 'arguments')).toEqual({ id: 7 });
  });

  it('reuses one $id for the same schema and refuses it for a different one', () => {
    const c = compiler();
    const schema = { $id: 'urn:servus:greet', type: 'object' };
    c.compile('s.one', { name: 's.one', arguments: schema });
    expect(() => c.compile('s.two', { name: 's.two', arguments: { ...schema } })).not.toThrow();
    expect(() => c.compile('s.three', { name: 's.three', arguments: { ...schema, type: 'string' } })).toThrow(
      'Invalid arguments schema for service s.three: $id urn:servus:greet is already used by a different schema',
    );
  });

  it('names its errors InvalidSchemaError', () => {
    let error: unknown;
    try {
      compiler().compile('s.typo', { name: 's.typo', arguments: { type: 'strnig' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSchemaError);
    expect((error as Error).name).toBe('InvalidSchemaError');
  });

  it('hands an event payload DTO over as an instance', async () => {
    const contract = compiler().compilePayload('h.dto', GreetArgs);
    expect(await contract!.validate({ name: 'ada', extra: 1 }, 'payload')).toEqual(
      Object.assign(new GreetArgs(), { name: 'ada' }),
    );
  });

  describe('DTO options (module option validation)', () => {
    const dto = (validation?: object) =>
      new ContractCompiler({ schemasDir: schemasDir({}), validation }).compile('s.dto', {
        name: 's.dto',
        arguments: GreetArgs,
      }).arguments!;
    const undecorated = (validation?: object) =>
      new ContractCompiler({ schemasDir: schemasDir({}), validation }).compile('s.raw', {
        name: 's.raw',
        arguments: Undecorated,
      }).arguments!;
    const error = (promise: unknown) =>
      Promise.resolve(promise).then(
        () => undefined,
        (e: unknown) => e as ValidationError,
      );

    it.each([
      ['by default', undefined],
      ['with an empty validation option', {}],
    ])('strips undeclared fields and refuses unknown classes %s', async (_label, validation) => {
      expect(await dto(validation).validate({ name: 'ada', extra: 1 }, 'arguments')).toEqual(
        Object.assign(new GreetArgs(), { name: 'ada' }),
      );
      const refused = await error(undecorated(validation).validate({ name: 'x' }, 'arguments for s.raw'));
      expect(refused?.message).toBe(
        'Invalid arguments for s.raw: an unknown value was passed to the validate function (unknownValue)',
      );
    });

    it('keeps undeclared fields with whitelist: false', async () => {
      expect(await dto({ whitelist: false }).validate({ name: 'ada', extra: 1 }, 'arguments')).toEqual(
        Object.assign(new GreetArgs(), { name: 'ada', extra: 1 }),
      );
    });

    it('refuses undeclared fields with forbidNonWhitelisted: true', async () => {
      const refused = await error(dto({ forbidNonWhitelisted: true }).validate({ name: 'a', extra: 1 }, 'arguments'));
      expect(refused?.message).toBe('Invalid arguments: property extra should not exist (whitelistValidation)');
    });

    it('lets an unknown class through with forbidUnknownValues: false', async () => {
      expect(await undecorated({ forbidUnknownValues: false }).validate({ name: 'x' }, 'arguments')).toBeInstanceOf(
        Undecorated,
      );
    });
  });

  it('never reads a file for an event payload', () => {
    const dir = schemasDir({ 'h/files/payload.json': '{"type":"object","required":["a"]}' });
    expect(compiler(dir).compilePayload('h.files', undefined)).toBeUndefined();
  });

  it('compiles identical schemas once; another schema or dialect compiles anew', () => {
    // Both dialects' classes inherit compile from ajv's core class.
    const compile = jest.spyOn(Object.getPrototypeOf(Ajv.prototype) as Ajv, 'compile');
    try {
      const c = compiler();
      const shape = () => ({ type: 'object', required: ['a'] });
      const contracts = ['s.a', 's.b', 's.c'].map((name) => c.compile(name, { name, arguments: shape() }).arguments!);
      for (const contract of contracts)
        expect(() => contract.validate({}, 'x')).toThrow('Invalid x: a is required (required)');
      expect(compile).toHaveBeenCalledTimes(1);
      const others = [
        c.compile('s.d', { name: 's.d', arguments: { ...shape(), required: ['b'] } }).arguments!,
        c.compile('s.e', {
          name: 's.e',
          arguments: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...shape() },
        }).arguments!,
      ];
      for (const contract of others) expect(() => contract.validate({}, 'x')).toThrow(/is required/);
      expect(compile).toHaveBeenCalledTimes(3);
    } finally {
      compile.mockRestore();
    }
  });
});

describe('ContractCompiler: checked and compiled at boot', () => {
  const compiler = () => new ContractCompiler({ schemasDir: mkdtempSync(join(tmpdir(), 'servus-schemas-')) });
  let compile: jest.SpyInstance;
  beforeEach(() => (compile = jest.spyOn(Ajv.prototype, 'compile')));
  afterEach(() => jest.restoreAllMocks());

  const schema = (max: number) => ({
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'integer' }, email: { type: 'string', format: 'email', maxLength: max } },
  });

  it('compiles each schema at boot, once: calls compile nothing', () => {
    const c = compiler();
    const one = c.compile('s.one', { name: 's.one', arguments: schema(10) }).arguments!;
    const two = c.compile('s.two', { name: 's.two', arguments: schema(20) }).arguments!;
    expect(compile).toHaveBeenCalledTimes(2);
    expect(one.validate({ id: 1 }, 's.one')).toEqual({ id: 1 });
    expect(() => one.validate({ id: 'x' }, 'arguments for s.one')).toThrow(
      'Invalid arguments for s.one: id must be integer (type)',
    );
    expect(() => two.validate({ id: 1, email: 'a'.repeat(21) }, 'arguments for s.two')).toThrow(
      'Invalid arguments for s.two: email must NOT have more than 20 characters (maxLength)',
    );
    expect(compile).toHaveBeenCalledTimes(2);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a wrong type name',
      { type: 'object', properties: { a: { type: 'strnig' } } },
      /^Invalid arguments schema for service s\.bad: schema is invalid: data\/properties\/a\/type must be equal to one of the allowed values/,
    ],
    [
      'an unknown keyword deep inside',
      { type: 'object', properties: { a: { type: 'array', items: { anyOf: [{ maxLenght: 2 }] } } } },
      /^Invalid arguments schema for service s\.bad: strict mode: unknown keyword: "maxLenght"$/,
    ],
    [
      'an unknown format',
      { type: 'object', properties: { a: { type: 'string', format: 'emial' } } },
      /^Invalid arguments schema for service s\.bad: unknown format "emial" ignored in schema at path "#\/properties\/a"$/,
    ],
    [
      'a pattern that is no regular expression',
      { type: 'object', patternProperties: { '^(': { type: 'string' } } },
      /^Invalid arguments schema for service s\.bad: Invalid regular expression: \/\^\(\/u: Unterminated group$/,
    ],
    [
      'a default at the root',
      { type: 'object', default: {} },
      /^Invalid arguments schema for service s\.bad: strict mode: default is ignored in the schema root$/,
    ],
    [
      'an if without then or else',
      { type: 'object', if: { required: ['a'] } },
      /^Invalid arguments schema for service s\.bad: strict mode: "if" without "then" and "else" is ignored$/,
    ],
  ])('refuses %s at boot, before compiling, naming the fault', (_, bad, message) => {
    expect(() => compiler().compile('s.bad', { name: 's.bad', arguments: bad })).toThrow(message);
    expect(compile).not.toHaveBeenCalled();
  });

  it('a property named like a keyword, and enum or default values, are data, not keywords', () => {
    const odd = {
      type: 'object',
      properties: { requird: { type: 'string', enum: ['x'], default: 'x' }, format: { const: { maxLenght: 1 } } },
    };
    expect(() => compiler().compile('s.odd', { name: 's.odd', arguments: odd })).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'formatMinimum without format',
      { type: 'object', properties: { n: { type: 'number', formatMinimum: 3 } } },
      'parent schema must have dependencies of formatMinimum: format',
    ],
    [
      'a default inside oneOf',
      { oneOf: [{ type: 'object', properties: { n: { type: 'number', default: 1 } } }] },
      'strict mode: default is ignored for: data.n',
    ],
    ['a then without if', { type: 'object', then: { required: ['a'] } }, 'strict mode: "then" without "if" is ignored'],
  ])('a strict rule only ajv knows (%s) fails the boot too, naming the service', (_, odd, message) => {
    expect(() => compiler().compile('s.late', { name: 's.late', arguments: odd })).toThrow(
      `Invalid arguments schema for service s.late: ${message}`,
    );
  });

  it('compiles a schema with a $ref at boot, so a broken reference fails the boot', () => {
    const c = compiler();
    const local = {
      type: 'object',
      definitions: { id: { type: 'integer' } },
      properties: { id: { $ref: '#/definitions/id' } },
    };
    c.compile('s.ref', { name: 's.ref', arguments: local });
    expect(compile).toHaveBeenCalledTimes(1);
    expect(() =>
      c.compile('s.dangling', {
        name: 's.dangling',
        arguments: { properties: { id: { $ref: '#/definitions/nope' } } },
      }),
    ).toThrow(/^Invalid arguments schema for service s\.dangling: can't resolve reference #\/definitions\/nope/);
  });
});
