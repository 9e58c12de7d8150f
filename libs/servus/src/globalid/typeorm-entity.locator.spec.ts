import { DataSourceLike, TypeOrmEntityLocator } from 'nestjs-servus/globalid/typeorm-entity.locator';
import { ClassRef } from 'nestjs-servus/util/class-ref';

class Report {
  id?: unknown;
}
class Tag {
  slug?: unknown;
}
class Ledger {}
class Pair {}

/** A DataSource with one primary column per entity (its type as TypeORM gives it) and a findOneBy that records its queries. */
function dataSource(columns: Map<ClassRef, Array<{ propertyName: string; type: unknown }>>) {
  const queries: Array<[string, Record<string, unknown>]> = [];
  const source: DataSourceLike = {
    getMetadata: (target) => ({ name: `${target.name}Entity`, primaryColumns: columns.get(target) ?? [] }),
    getRepository: (target) => ({
      findOneBy: (where) => (queries.push([target.name, where]), Promise.resolve({ found: where })),
    }),
  };
  return { source, queries };
}

describe('TypeOrmEntityLocator', () => {
  const columns = new Map<ClassRef, Array<{ propertyName: string; type: unknown }>>([
    [Report, [{ propertyName: 'id', type: Number }]],
    [Tag, [{ propertyName: 'slug', type: String }]],
    [Ledger, [{ propertyName: 'seq', type: 'bigint' }]],
    [
      Pair,
      [
        { propertyName: 'a', type: Number },
        { propertyName: 'b', type: Number },
      ],
    ],
  ]);

  it('names each entity by its TypeORM metadata name', () => {
    const { source } = dataSource(columns);
    expect(new TypeOrmEntityLocator(source, [Report, Tag]).types()).toEqual([
      { name: 'ReportEntity', type: Report },
      { name: 'TagEntity', type: Tag },
    ]);
  });

  it('gives the primary key of an instance, a number or a string', () => {
    const locator = new TypeOrmEntityLocator(dataSource(columns).source, [Report, Tag]);
    expect(locator.idOf(Object.assign(new Report(), { id: 7 }))).toBe(7);
    expect(locator.idOf(Object.assign(new Tag(), { slug: 'urgent' }))).toBe('urgent');
  });

  it.each<[string, unknown]>([
    ['no id yet', undefined],
    ['a null id', null],
    ['an object id', { id: 1 }],
    ['a bigint id', BigInt(1)],
  ])('refuses an instance with %s, saying to save it first', (_label, id) => {
    const locator = new TypeOrmEntityLocator(dataSource(columns).source, [Report]);
    expect(() => locator.idOf(Object.assign(new Report(), { id }))).toThrow(
      new TypeError('Report has no id yet: save it before passing it to callAsync'),
    );
  });

  it.each<[string, ClassRef, string]>([
    ['no primary column', class Loose {}, 'Loose needs exactly one primary column to have a global id'],
    ['two primary columns', Pair, 'Pair needs exactly one primary column to have a global id'],
  ])('refuses an entity with %s, naming it', async (_label, type, message) => {
    const locator = new TypeOrmEntityLocator(dataSource(columns).source, [type]);
    expect(() => locator.idOf(new (type as new () => object)())).toThrow(new TypeError(message));
    await expect(locator.locate(type, '1')).rejects.toThrow(new TypeError(message));
  });

  it.each<[string, unknown, string, unknown]>([
    ['a Number column', Number, '42', 42],
    ['an int column', 'int', '42', 42],
    ['an integer column', 'integer', '-3', -3],
    ['a bigint column (kept a string: Number() would round it)', 'bigint', '9007199254740993', '9007199254740993'],
    ['a string column', String, '42', '42'],
    ['a uuid column', 'uuid', 'a-1', 'a-1'],
  ])('reads the row by its key: %s', async (_label, type, id, key) => {
    const { source, queries } = dataSource(new Map([[Report, [{ propertyName: 'id', type }]]]));
    const found = await new TypeOrmEntityLocator(source, [Report]).locate(Report, id);
    expect(queries).toEqual([['Report', { id: key }]]);
    expect(found).toEqual({ found: { id: key } });
  });

  it.each(['', 'abc', '12abc', 'abc12', '1.5', '1e3', ' 1', '--1'])(
    'answers null without a query for the id %p of a numeric key',
    async (id) => {
      const { source, queries } = dataSource(columns);
      await expect(new TypeOrmEntityLocator(source, [Report]).locate(Report, id)).resolves.toBeNull();
      expect(queries).toEqual([]);
    },
  );
});
