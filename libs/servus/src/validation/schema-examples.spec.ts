import { Type } from '@nestjs/common';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBase } from 'nestjs-servus/service/service-base';
import { Service } from 'nestjs-servus/service/service.decorator';
import { argumentsExample, resultExample } from 'nestjs-servus/validation/schema-examples';

/** A service class declaring `args` and `result` as its schemas (either may be left out). */
function service(name: string, args?: object, result?: object): Type<ServiceBase<unknown, unknown>> {
  @Service({ name, arguments: args, result })
  class Declared extends ServiceBase<unknown, unknown> {
    call() {
      return this.success(null);
    }
  }
  return Declared;
}

describe('argumentsExample and resultExample', () => {
  it.each<[string, object, unknown]>([
    ['the schema example', { type: 'object', example: { a: 1 }, examples: [{ b: 2 }], default: { c: 3 } }, { a: 1 }],
    ['a falsy schema example', { type: 'integer', example: 0, default: 5 }, 0],
    ['the first of its examples', { type: 'object', examples: [{ b: 2 }, { b: 3 }], default: { c: 3 } }, { b: 2 }],
    ['its default when examples is empty', { type: 'object', examples: [], default: { c: 3 } }, { c: 3 }],
    ['its default when examples is not a list', { type: 'object', examples: { b: 2 }, default: { c: 3 } }, { c: 3 }],
    ['a falsy default', { type: 'boolean', default: false }, false],
    [
      "each property's example, default or nested object, leaving out those without any",
      {
        type: 'object',
        properties: {
          id: { type: 'integer', example: 7 },
          kind: { type: 'string', examples: ['daily'] },
          format: { type: 'string', default: 'pdf' },
          note: { type: 'string' },
          range: { type: 'object', properties: { from: { example: '2026-01-01' }, to: { type: 'string' } } },
          empty: { type: 'object', properties: { x: { type: 'string' } } },
        },
      },
      { id: 7, kind: 'daily', format: 'pdf', range: { from: '2026-01-01' } },
    ],
  ])('takes %s', (_label, schema, example) => {
    expect(argumentsExample(service('examples.args', schema))).toEqual(example);
    expect(resultExample(service('examples.result', undefined, schema))).toEqual(example);
  });

  it('hands out a copy each time: changing one example does not change the next', () => {
    const Service = service('examples.copy', { type: 'object', example: { list: [1] } });
    const first = argumentsExample(Service) as { list: number[] };
    first.list.push(2);
    expect(argumentsExample(Service)).toEqual({ list: [1] });
  });

  it.each<[string, unknown, unknown, unknown]>([
    ['a nested key', { a: { b: 1, c: 2 }, d: 3 }, { a: { b: 9 } }, { a: { b: 9, c: 2 }, d: 3 }],
    ['a new key', { a: 1 }, { z: { y: 1 } }, { a: 1, z: { y: 1 } }],
    ['a list, replaced', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['an object over a number', { a: 1 }, { a: { b: 2 } }, { a: { b: 2 } }],
    ['null over an object', { a: { b: 1 } }, { a: null }, { a: null }],
    ['a whole value', { a: 1 }, 5, 5],
  ])('deep-merges overrides: %s', (_label, example, overrides, merged) => {
    expect(argumentsExample(service('examples.merge', { example }), overrides as never)).toEqual(merged);
  });

  it("takes an example from a file schema when the service declares none, under the service's name", () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-examples-'));
    mkdirSync(join(dir, 'examples/filed'), { recursive: true });
    writeFileSync(join(dir, 'examples/filed/result.json'), '{"type":"object","example":{"ok":true}}');
    expect(resultExample(service('examples.filed'), undefined, { schemasDir: dir })).toEqual({ ok: true });
    expect(() => argumentsExample(service('examples.filed'), undefined, { schemasDir: dir })).toThrow(
      new Error('Declared has no arguments JSON Schema to take an example from'),
    );
  });

  it.each<[string, object]>([
    ['no example, examples or defaults', { type: 'object', properties: { a: { type: 'string' } } }],
    ['no properties', { type: 'string' }],
    ['properties that are not an object', { type: 'object', properties: 'a' }],
  ])('says so when the schema has %s', (_label, schema) => {
    expect(() => argumentsExample(service('examples.none', schema))).toThrow(
      new Error('The arguments schema of Declared has no example, examples or defaults'),
    );
    expect(() => resultExample(service('examples.none', undefined, schema))).toThrow(
      new Error('The result schema of Declared has no example, examples or defaults'),
    );
  });

  it('says there is no schema for a class that is no @Service (no TypeError)', () => {
    class Plain {}
    expect(() =>
      argumentsExample(Plain as Type<ServiceBase<unknown, unknown>>, undefined, {
        schemasDir: '/nonexistent-servus-schemas',
      }),
    ).toThrow(new Error('Plain has no arguments JSON Schema to take an example from'));
  });

  it('says so when the declared contract is a DTO, not a JSON Schema', () => {
    class Dto {}
    @Service({ name: 'examples.dto', arguments: Dto })
    class WithDto extends ServiceBase<unknown, unknown> {
      call() {
        return this.success(null);
      }
    }
    expect(() => argumentsExample(WithDto, undefined, { schemasDir: '/nonexistent-servus-schemas' })).toThrow(
      new Error('WithDto has no arguments JSON Schema to take an example from'),
    );
  });
});
