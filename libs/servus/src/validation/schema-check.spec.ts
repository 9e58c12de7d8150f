import Ajv from 'ajv';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractCompiler } from 'nestjs-servus/validation/contract-compiler';

/**
 * The schema check walks every place a subschema can sit, so a fault anywhere fails the boot
 * before ajv compiles, naming where. An unknown format names its path: one case per place.
 */
describe('checkSchema (through ContractCompiler): where it looks', () => {
  const compiler = () => new ContractCompiler({ schemasDir: mkdtempSync(join(tmpdir(), 'servus-schemas-')) });
  const draft2020 = 'https://json-schema.org/draft/2020-12/schema';
  const bad = { type: 'string', format: 'emial' };
  let compile: jest.SpyInstance;
  // On the class both dialects share, so a 2020-12 compile is seen too.
  beforeEach(() => (compile = jest.spyOn(Object.getPrototypeOf(Ajv.prototype) as Ajv, 'compile')));
  afterEach(() => jest.restoreAllMocks());

  const refusal = (schema: Record<string, unknown>): string => {
    try {
      compiler().compile('s.walk', { name: 's.walk', arguments: schema });
    } catch (error) {
      return (error as Error).message;
    }
    return 'compiled';
  };

  it.each<[string, Record<string, unknown>, string]>([
    ['the root', bad, '#'],
    ['not', { not: bad }, '#/not'],
    ['if (with then)', { if: bad, then: {} }, '#/if'],
    ['then', { if: {}, then: bad }, '#/then'],
    ['else (if without then)', { if: {}, else: bad }, '#/else'],
    ['additionalItems', { items: [{}], additionalItems: bad }, '#/additionalItems'],
    ['contains', { contains: bad }, '#/contains'],
    ['additionalProperties', { additionalProperties: bad }, '#/additionalProperties'],
    ['propertyNames', { propertyNames: bad }, '#/propertyNames'],
    ['allOf', { allOf: [{}, bad] }, '#/allOf/1'],
    ['anyOf', { anyOf: [bad] }, '#/anyOf/0'],
    ['oneOf', { oneOf: [{}, {}, bad] }, '#/oneOf/2'],
    ['items as one schema', { items: bad }, '#/items'],
    ['items as a tuple', { items: [{}, bad] }, '#/items/1'],
    ['properties', { properties: { a: {}, b: bad } }, '#/properties/b'],
    ['patternProperties', { patternProperties: { '^x': bad } }, '#/patternProperties/^x'],
    ['definitions', { definitions: { d: bad } }, '#/definitions/d'],
    ['dependencies (a schema entry)', { dependencies: { a: ['b'], c: bad } }, '#/dependencies/c'],
    ['nested places', { properties: { a: { items: { anyOf: [{ not: bad }] } } } }, '#/properties/a/items/anyOf/0/not'],
    ['prefixItems (2020-12)', { $schema: draft2020, prefixItems: [{}, bad] }, '#/prefixItems/1'],
    ['$defs (2020-12)', { $schema: draft2020, $defs: { d: bad } }, '#/$defs/d'],
    ['dependentSchemas (2020-12)', { $schema: draft2020, dependentSchemas: { a: bad } }, '#/dependentSchemas/a'],
    ['unevaluatedItems (2020-12)', { $schema: draft2020, unevaluatedItems: bad }, '#/unevaluatedItems'],
    ['unevaluatedProperties (2020-12)', { $schema: draft2020, unevaluatedProperties: bad }, '#/unevaluatedProperties'],
    [
      'contentSchema (2020-12)',
      { $schema: draft2020, contentMediaType: 'application/json', contentSchema: bad },
      '#/contentSchema',
    ],
  ])('finds an unknown format in %s, before compiling', (_label, schema, path) => {
    expect(refusal(schema)).toBe(
      `Invalid arguments schema for service s.walk: unknown format "emial" ignored in schema at path "${path}"`,
    );
    expect(compile).not.toHaveBeenCalled();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a pattern', { properties: { a: { type: 'string', pattern: '(' } } }, 'Invalid regular expression: /(/u'],
    [
      'a pattern valid only without the u flag',
      { properties: { a: { pattern: '\\-' } } },
      'Invalid regular expression',
    ],
    [
      'an unknown keyword under a tuple item',
      { items: [{ maxLenght: 1 }] },
      'strict mode: unknown keyword: "maxLenght"',
    ],
  ])('refuses %s before compiling', (_label, schema, message) => {
    expect(refusal(schema)).toContain(`Invalid arguments schema for service s.walk: ${message}`);
    expect(compile).not.toHaveBeenCalled();
  });

  it.each<[string, Record<string, unknown>]>([
    ['if with then only', { if: { required: ['a'] }, then: { required: ['b'] } }],
    ['if with else only', { if: { required: ['a'] }, else: { required: ['b'] } }],
    ['boolean subschemas', { properties: { a: true, b: false }, items: true, not: false }],
    ['a dependency given as a list of names', { dependencies: { a: ['b'] } }],
    ['a known format and a valid pattern', { properties: { a: { type: 'string', format: 'email', pattern: '^a' } } }],
  ])('accepts %s', (_label, schema) => {
    expect(refusal(schema)).toBe('compiled');
    expect(compile).toHaveBeenCalledTimes(1);
  });

  // Draft-07's meta-schema does not describe $defs or contentSchema, so any value passes its check there:
  // what is not a schema is passed over (ajv ignores it), what is one is checked like any other place.
  it.each<[string, Record<string, unknown>]>([
    ['$defs: null', { $defs: null }],
    ['a null entry of $defs', { $defs: { a: null } }],
    ['contentSchema: null', { contentSchema: null }],
    ['a pattern that is not a string', { $defs: { a: { pattern: ['('] } } }],
    ['patternProperties: null', { $defs: { a: { patternProperties: null } } }],
    ['dependencies: null', { $defs: { a: { dependencies: null } } }],
  ])('draft-07: passes over %s where the meta-schema does not look', (_label, schema) => {
    expect(refusal(schema)).toBe('compiled');
  });

  it('draft-07: refuses a bad pattern inside $defs, naming it', () => {
    expect(refusal({ $defs: { a: { pattern: '(' } } })).toBe(
      'Invalid arguments schema for service s.walk: Invalid regular expression: /(/u: Unterminated group',
    );
    expect(compile).not.toHaveBeenCalled();
  });
});
