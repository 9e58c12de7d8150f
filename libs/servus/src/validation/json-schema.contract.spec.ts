import { ValidationError } from 'nestjs-servus/response/http-errors';
import { Contract } from 'nestjs-servus/service/contract.interface';
import { isMarkedJsonExact } from 'nestjs-servus/util/json-exact';
import { ContractCompiler } from 'nestjs-servus/validation/contract-compiler';

const compiler = new ContractCompiler({ schemasDir: '/nonexistent-servus-schemas' });
const contractOf = (schema: object): Contract => compiler.compilePayload('test.handler', schema)!;

/** The error a validation throws (a ValidationError), to read its message and details. */
function refusal(contract: Contract, value: unknown): ValidationError {
  try {
    contract.validate(value, 'arguments for test.service');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('JsonSchemaContract', () => {
  describe('paths in its messages (JSON pointers as property paths)', () => {
    // Compiled in each test (the compiler keeps one validator per schema), not while the file loads: a schema
    // that fails to compile fails the tests, and the compile counts as covered by them.
    const orders = () =>
      contractOf({
        type: 'object',
        properties: {
          'a/b': { type: 'integer' },
          'c~d': { type: 'integer' },
          '~1': { type: 'integer' },
          line2: { type: 'integer' },
          '2nd': { type: 'integer' },
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['sku'],
              additionalProperties: false,
              properties: { sku: { type: 'string' }, size: { enum: ['s', 'm'] } },
            },
          },
        },
      });

    it.each<[string, unknown, string, string, string]>([
      ['a key with a slash (~1)', { 'a/b': 'x' }, 'a/b', 'type', 'a/b must be integer'],
      ['a key with a tilde (~0)', { 'c~d': 'x' }, 'c~d', 'type', 'c~d must be integer'],
      ['a key that reads as an escape (~01)', { '~1': 'x' }, '~1', 'type', '~1 must be integer'],
      ['an array index', { items: [{ sku: 'a' }, { sku: 2 }] }, 'items[1].sku', 'type', 'items[1].sku must be string'],
      [
        'an index of two digits',
        { items: [...Array.from({ length: 10 }, () => ({ sku: 'a' })), { sku: 2 }] },
        'items[10].sku',
        'type',
        'items[10].sku must be string',
      ],
      ['a key ending in digits', { line2: 'x' }, 'line2', 'type', 'line2 must be integer'],
      ['a key starting with digits', { '2nd': 'x' }, '2nd', 'type', '2nd must be integer'],
      ['a missing key in an item', { items: [{}] }, 'items[0].sku', 'required', 'items[0].sku is required'],
      [
        'an unknown key in an item',
        { items: [{ sku: 'a', colour: 'red' }] },
        'items[0].colour',
        'additionalProperties',
        'items[0].colour is not allowed',
      ],
      [
        'an enum in an item',
        { items: [{ sku: 'a', size: 'xl' }] },
        'items[0].size',
        'enum',
        'items[0].size must be one of s, m',
      ],
      ['the value itself', 'orders', '', 'type', 'value must be object'],
    ])('%s', (_label, value, path, rule, message) => {
      const error = refusal(orders(), value);
      expect(error.details).toEqual([{ path, rule, message }]);
      expect(error.message).toBe(`Invalid arguments for test.service: ${message} (${rule})`);
    });

    it.each<[string, object, unknown, string, string, string]>([
      ['a missing key at the top', { type: 'object', required: ['id'] }, {}, 'id', 'required', 'id is required'],
      [
        'an unknown key at the top',
        { type: 'object', additionalProperties: false },
        { x: 1 },
        'x',
        'additionalProperties',
        'x is not allowed',
      ],
      ['an enum value', { enum: [1, 'two', null] }, 3, '', 'enum', 'value must be one of 1, two, null'],
      [
        'an item of a top-level array',
        { type: 'array', items: { type: 'integer' } },
        [1, 'x'],
        '[1]',
        'type',
        '[1] must be integer',
      ],
      [
        'an item of a nested array',
        { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
        [[1], [2, 'x']],
        '[1][1]',
        'type',
        '[1][1] must be integer',
      ],
    ])('%s', (_label, schema, value, path, rule, message) => {
      expect(refusal(contractOf(schema), value).details).toEqual([{ path, rule, message }]);
    });
  });

  describe('defaults', () => {
    const withDefault = () =>
      contractOf({ type: 'object', properties: { format: { type: 'string', default: 'pdf' } } });
    const withoutDefault = () => contractOf({ type: 'object', properties: { format: { type: 'string' } } });

    it("fills defaults into a copy, never the caller's object", () => {
      const args = { id: 1 };
      const validated = withDefault().validate(args, 'arguments') as Record<string, unknown>;
      expect(validated).toEqual({ id: 1, format: 'pdf' });
      expect(validated).not.toBe(args);
      expect(args).toEqual({ id: 1 });
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a string', 'x'],
    ])('refuses %s by its type, whether the schema has defaults or not', (_label, value) => {
      for (const contract of [withDefault(), withoutDefault()])
        expect(() => contract.validate(value, 'arguments for s.defaults')).toThrow(
          'Invalid arguments for s.defaults: value must be object (type)',
        );
    });

    it('fills an owned value (a decoded job) in place', () => {
      const args = { id: 1 };
      expect(withDefault().validate(args, 'arguments', true)).toBe(args);
      expect(args).toEqual({ id: 1, format: 'pdf' });
    });

    it('hands a value back as it is when the schema has no default', () => {
      const args = { id: 1 };
      expect(withoutDefault().validate(args, 'arguments')).toBe(args);
      expect(isMarkedJsonExact(args)).toBe(false);
    });

    it('hands JSON back as it is from toJson', () => {
      const data = { a: 1 };
      expect(withDefault().toJson(data)).toBe(data);
    });
  });

  it('knows the formats of ajv-formats and allows the example keyword (OpenAPI style)', () => {
    const contract = contractOf({
      type: 'object',
      properties: { email: { type: 'string', format: 'email', example: 'ada@example.com' }, day: { format: 'date' } },
      example: { email: 'ada@example.com' },
    });
    expect(contract.validate({ email: 'ada@example.com', day: '2026-11-01' }, 'arguments')).toEqual({
      email: 'ada@example.com',
      day: '2026-11-01',
    });
    expect(refusal(contract, { email: 'ada', day: 'monday' }).details).toEqual([
      { path: 'email', rule: 'format', message: 'email must match format "email"' },
      { path: 'day', rule: 'format', message: 'day must match format "date"' },
    ]);
  });
});
