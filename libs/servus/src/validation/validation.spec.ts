import { Module, Type as ClassType } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, Min, ValidateNested } from 'class-validator';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Service,
  ServiceBase,
  ServusExecutor,
  ServusModule,
  ServusModuleOptions,
  ValidationError,
} from 'nestjs-servus';
import { InvalidSchemaError } from 'nestjs-servus/extend';
import { argumentsExample, resultExample } from 'nestjs-servus/testing';

const SCHEMAS_DIR = join(__dirname, '__fixtures__/schemas/services');

const reportSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['userId', 'reportType', 'email'],
  additionalProperties: false,
  properties: {
    userId: { type: 'integer', minimum: 1, example: 42 },
    reportType: { enum: ['daily', 'monthly'], example: 'monthly' },
    email: { type: 'string', format: 'email', example: 'ada@example.com' },
    format: { type: 'string', default: 'pdf' },
    range: {
      type: 'object',
      properties: { from: { type: 'string', format: 'date' } },
      example: { from: '2026-11-01' },
    },
  },
};

@Service({
  name: 'reports.schema',
  arguments: reportSchema,
  result: { type: 'object', required: ['reportId'], properties: { reportId: { type: 'integer' } } },
})
class SchemaReport extends ServiceBase<
  { userId: number; reportType: string; email: string; format?: string },
  { reportId: number } | { wrong: true }
> {
  received: unknown[] = [];
  async call(args: { userId: number; reportType: string; email: string; format?: string }) {
    this.received.push(args);
    if (args.userId === 13) return this.success({ wrong: true as const });
    if (args.userId === 14) return this.failure('unlucky');
    return this.success({ reportId: args.userId * 10 });
  }
}

@Service({ name: 'files.greet' })
class Greet extends ServiceBase<{ name: string; greeting?: string }, { text: string }> {
  async call({ name, greeting }: { name: string; greeting?: string }) {
    return this.success({ text: `${greeting}, ${name}` });
  }
}

@Service({
  name: 'files.greet-override',
  arguments: { type: 'object', required: ['who'], properties: { who: { type: 'string' } } },
})
class GreetOverride extends ServiceBase<{ who: string }, string> {
  async call({ who }: { who: string }) {
    return this.success(who);
  }
}

class RangeDto {
  @Type(() => Date)
  @IsDate()
  from!: Date;
}

class ArchiveArgs {
  @IsInt()
  @Min(1)
  userId!: number;

  @IsIn(['csv', 'json'])
  format!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => RangeDto)
  range?: RangeDto;
}

@Service({ name: 'reports.archive', arguments: ArchiveArgs })
class Archive extends ServiceBase<ArchiveArgs, { from: string | null; isDto: boolean; keys: string[] }> {
  async call(args: ArchiveArgs) {
    return this.success({
      from: args.range?.from instanceof Date ? args.range.from.toISOString() : null,
      isDto: args instanceof ArchiveArgs,
      keys: Object.keys(args),
    });
  }
}

@Module({ providers: [SchemaReport, Greet, GreetOverride, Archive] })
class ContractsModule {}

async function boot(providers: ClassType[] = [], options: ServusModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [ServusModule.forRoot({ logging: false, schemasDir: SCHEMAS_DIR, ...options }), ContractsModule],
    providers,
  }).compile();
  return moduleRef.init();
}

describe('argument and result validation', () => {
  let executor: ServusExecutor;
  let app: Awaited<ReturnType<typeof boot>>;

  beforeAll(async () => {
    app = await boot();
    executor = app.get(ServusExecutor);
  });
  afterAll(() => app?.close());

  const rejection = async (promise: Promise<unknown>): Promise<ValidationError> => {
    const error = await promise.then(
      () => undefined,
      (e) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  };

  describe('JSON Schema given in @Service (draft 2020-12)', () => {
    const valid = { userId: 1, reportType: 'daily', email: 'a@b.co' };

    it("lets valid arguments through and fills defaults, on a copy of the caller's object", async () => {
      const args = { ...valid };
      const response = await executor.call(SchemaReport, args);
      expect(response.success && response.data).toEqual({ reportId: 10 });
      expect(app.get(SchemaReport).received.at(-1)).toEqual({ ...valid, format: 'pdf' });
      expect(args).toEqual(valid);
    });

    it.each([
      ['required', { userId: 1, reportType: 'daily' }, 'email', 'email is required (required)'],
      ['type', { ...valid, userId: 'one' }, 'userId', 'userId must be integer (type)'],
      ['minimum', { ...valid, userId: 0 }, 'userId', 'userId must be >= 1 (minimum)'],
      ['enum', { ...valid, reportType: 'yearly' }, 'reportType', 'reportType must be one of daily, monthly (enum)'],
      ['format', { ...valid, email: 'not-an-email' }, 'email', 'email must match format "email" (format)'],
      ['additionalProperties', { ...valid, admin: true }, 'admin', 'admin is not allowed (additionalProperties)'],
      [
        'nested format',
        { ...valid, range: { from: 'yesterday' } },
        'range.from',
        'range.from must match format "date" (format)',
      ],
    ])('refuses %s with a ValidationError naming the field and rule', async (rule, args, path, sentence) => {
      const error = await rejection(executor.call('reports.schema', args));
      expect(error.message).toBe(`Invalid arguments for reports.schema: ${sentence}`);
      expect(error.details).toEqual([expect.objectContaining({ path })]);
      expect(error.httpStatus).toBe(422);
    });

    it('names every failing field at once', async () => {
      const error = await rejection(executor.call('reports.schema', { userId: 0, reportType: 'x' }));
      expect(error.message).toBe(
        'Invalid arguments for reports.schema: email is required (required); userId must be >= 1 (minimum); reportType must be one of daily, monthly (enum)',
      );
      expect((error.details as unknown[]).length).toBe(3);
    });

    it('validates success data against the result schema, naming the service and field', async () => {
      const error = await rejection(executor.call(SchemaReport, { ...valid, userId: 13 }));
      expect(error.message).toBe('Invalid result of reports.schema: reportId is required (required)');
    });

    it('does not validate failure responses', async () => {
      const response = await executor.call(SchemaReport, { ...valid, userId: 14 });
      expect(response.success).toBe(false);
    });
  });

  describe('file-based schemas', () => {
    it('reads <schemasDir>/<service path>/arguments.json, with its defaults', async () => {
      const response = await executor.call(Greet, { name: 'Ada' });
      expect(response.success && response.data).toEqual({ text: 'Hello, Ada' });
      const error = await rejection(executor.call(Greet, { name: '' }));
      expect(error.message).toBe(
        'Invalid arguments for files.greet: name must NOT have fewer than 1 characters (minLength)',
      );
      await rejection(executor.call(Greet, { name: 'Ada', extra: 1 } as never));
    });

    it('prefers the decorator option over the file', async () => {
      const response = await executor.call(GreetOverride, { who: 'Grace' });
      expect(response.success && response.data).toBe('Grace');
      const error = await rejection(executor.call(GreetOverride, {} as never));
      expect(error.message).toBe('Invalid arguments for files.greet-override: who is required (required)');
    });

    it('validates nothing when there is no schema at all', async () => {
      const other = await boot([], { schemasDir: join(__dirname, 'no-such-dir') });
      const response = await other.get(ServusExecutor).call(Greet, { name: '' });
      expect(response.success && response.data).toEqual({ text: 'undefined, ' });
      await other.close();
    });
  });

  describe('class-validator DTOs', () => {
    it('gives the service a DTO instance, nested @Type(() => Date) as a Date, unknown keys stripped', async () => {
      const response = await executor.call(Archive, {
        userId: 3,
        format: 'csv',
        range: { from: '2026-11-01T00:00:00.000Z' },
        sneaky: 1,
      } as never);
      expect(response.success && response.data).toEqual({
        from: '2026-11-01T00:00:00.000Z',
        isDto: true,
        keys: ['userId', 'format', 'range'],
      });
    });

    it('refuses invalid DTO arguments naming every field and rule, nested paths included', async () => {
      const error = await rejection(
        executor.call('reports.archive', { userId: 0, format: 'xml', range: { from: 'never' } }),
      );
      expect(error.details).toEqual([
        { path: 'userId', rule: 'min', message: 'userId must not be less than 1' },
        { path: 'format', rule: 'isIn', message: 'format must be one of the following values: csv, json' },
        { path: 'range.from', rule: 'isDate', message: 'range.from must be a Date instance' },
      ]);
      expect(error.message).toMatch(/^Invalid arguments for reports.archive: userId must not be less than 1 \(min\); /);
    });

    it("does not strip fields from the caller's own DTO instance", async () => {
      const args = Object.assign(new ArchiveArgs(), { userId: 3, format: 'csv', sneaky: 1 });
      await executor.call(Archive, args);
      expect(args).toEqual(expect.objectContaining({ sneaky: 1 }));
    });

    it('refuses non-object arguments', async () => {
      const error = await rejection(executor.call('reports.archive', 'hello'));
      expect(error.message).toBe('Invalid arguments for reports.archive: value must be an object (ArchiveArgs) (type)');
    });

    it('forbidNonWhitelisted refuses unknown keys instead of stripping them', async () => {
      const strict = await boot([], { validation: { forbidNonWhitelisted: true } });
      const error = await rejection(
        strict.get(ServusExecutor).call('reports.archive', { userId: 1, format: 'csv', sneaky: 1 }),
      );
      expect(error.details).toEqual([expect.objectContaining({ path: 'sneaky', rule: 'whitelistValidation' })]);
      await strict.close();
    });
  });

  describe('boot errors', () => {
    it('fails the boot on an invalid schema, naming the service', async () => {
      @Service({ name: 'broken.schema', arguments: { type: 'object', properties: { a: { type: 'strnig' } } } })
      class Broken extends ServiceBase<unknown, unknown> {
        call() {
          return this.success(null);
        }
      }
      await expect(boot([Broken])).rejects.toThrow(/^Invalid arguments schema for service broken.schema: /);
    });

    it('fails the boot when two services use one $id for different schemas', async () => {
      @Service({ name: 'id.one', arguments: { $id: 'https://example.com/args.json', type: 'object' } })
      class One extends ServiceBase<unknown, unknown> {
        call() {
          return this.success(null);
        }
      }
      @Service({ name: 'id.two', arguments: { $id: 'https://example.com/args.json', type: 'string' } })
      class Two extends ServiceBase<unknown, unknown> {
        call() {
          return this.success(null);
        }
      }
      await expect(boot([One, Two])).rejects.toThrow(
        'Invalid arguments schema for service id.two: $id https://example.com/args.json is already used by a different schema',
      );
    });

    it('fails the boot on an unknown keyword (a typo)', async () => {
      @Service({ name: 'typo.schema', arguments: { type: 'object', requird: ['a'] } })
      class Typo extends ServiceBase<unknown, unknown> {
        call() {
          return this.success(null);
        }
      }
      await expect(boot([Typo])).rejects.toThrow(/Invalid arguments schema for service typo.schema: .*requird/);
    });
  });

  describe('examples', () => {
    it('builds argument examples from property examples, deep-merging overrides', () => {
      expect(argumentsExample(SchemaReport)).toEqual({
        userId: 42,
        reportType: 'monthly',
        email: 'ada@example.com',
        format: 'pdf',
        range: { from: '2026-11-01' },
      });
      expect(argumentsExample(SchemaReport, { userId: 7, range: { from: '2026-12-01' } } as never)).toMatchObject({
        userId: 7,
        reportType: 'monthly',
        range: { from: '2026-12-01' },
      });
    });

    it('reads examples from schema files too', () => {
      expect(argumentsExample(Greet, undefined, { schemasDir: SCHEMAS_DIR })).toEqual({
        name: 'Ada',
        greeting: 'Hello',
      });
      expect(resultExample(Greet, { text: 'Hi' }, { schemasDir: SCHEMAS_DIR })).toEqual({ text: 'Hi' });
    });

    it('replaces, not merges into, an override that is not a plain object', () => {
      const from = new Date('2026-12-01T00:00:00.000Z');
      const example = argumentsExample(SchemaReport, { range: from } as never) as unknown as { range: Date };
      // A clone of the Date (structuredClone's, of another realm under jest), not the example's { from } with nothing merged in.
      expect(Object.prototype.toString.call(example.range)).toBe('[object Date]');
      expect(example.range.getTime()).toBe(from.getTime());
      expect(example.range).not.toBe(from);
    });

    describe('a malformed schema file', () => {
      @Service({ name: 'files.broken' })
      class Broken extends ServiceBase<{ id: number }, { ok: boolean }> {
        async call() {
          return this.success({ ok: true });
        }
      }
      let dir: string;
      let file: string;

      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'servus-schemas-'));
        file = join(dir, 'files/broken/arguments.json');
        mkdirSync(join(dir, 'files/broken'), { recursive: true });
        writeFileSync(file, '{ "type": "object", "properties": { "id": { "example": 1 } ');
      });
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      const exampleError = (): unknown => {
        try {
          argumentsExample(Broken, undefined, { schemasDir: dir });
        } catch (error) {
          return error;
        }
        return undefined;
      };

      it('throws an InvalidSchemaError naming the service and the file, not a bare SyntaxError', () => {
        const error = exampleError();
        expect(error).toBeInstanceOf(InvalidSchemaError);
        const prefix = `Invalid arguments schema for service files.broken: ${file}: `;
        expect((error as Error).message.startsWith(prefix)).toBe(true);
        expect((error as Error).message.length).toBeGreaterThan(prefix.length); // and the parser's reason
      });

      it('is the same error the boot fails with', async () => {
        const booted = await boot([Broken], { schemasDir: dir }).then(
          (app) => app.close(),
          (error: unknown) => error,
        );
        expect(booted).toBeInstanceOf(InvalidSchemaError);
        expect((booted as Error).message).toBe((exampleError() as Error).message);
      });
    });

    it('says so when a service has no schema to take an example from', () => {
      expect(() => argumentsExample(Archive)).toThrow('Archive has no arguments JSON Schema to take an example from');
    });

    it('the examples pass the schema they came from', async () => {
      const response = await executor.call(SchemaReport, argumentsExample(SchemaReport));
      expect(response.success).toBe(true);
    });
  });
});
