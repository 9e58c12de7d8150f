import { ClassRef } from '../util/class-ref';
import { EntityLocator } from './entity-locator.interface';

/** The part of a TypeORM DataSource this locator uses (typed here so the library does not depend on TypeORM). */
export interface DataSourceLike {
  getMetadata(target: ClassRef): { name: string; primaryColumns: Array<{ propertyName: string; type: unknown }> };
  getRepository(target: ClassRef): { findOneBy(where: Record<string, unknown>): Promise<object | null> };
}

/**
 * A ready-made locator for TypeORM entities with one primary column: the type name is the
 * entity's name, the id its primary key; `locate` reads the row again (its current state).
 *
 * @example
 * ＠Locator()
 * export class ReportsLocator extends TypeOrmEntityLocator {
 *   constructor(dataSource: DataSource) { super(dataSource, [Report]); }
 * }
 *
 * @publicApi
 */
export class TypeOrmEntityLocator implements EntityLocator {
  constructor(
    private readonly dataSource: DataSourceLike,
    private readonly entities: ClassRef[],
  ) {}

  types(): Array<{ name: string; type: ClassRef }> {
    return this.entities.map((type) => ({ name: this.dataSource.getMetadata(type).name, type }));
  }

  idOf(entity: object): string | number {
    const key = this.primaryKey(entity.constructor as ClassRef).propertyName;
    const id = (entity as Record<string, unknown>)[key];
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new TypeError(`${entity.constructor.name} has no ${key} yet: save it before passing it to callAsync`);
    }
    return id;
  }

  async locate(type: ClassRef, id: string): Promise<object | null> {
    const column = this.primaryKey(type);
    // bigint keys stay strings (TypeORM returns them so; Number() would round them).
    const numeric = column.type === Number || column.type === 'int' || column.type === 'integer';
    if (numeric && !/^-?\d+$/.test(id)) return null;
    return this.dataSource.getRepository(type).findOneBy({ [column.propertyName]: numeric ? Number(id) : id });
  }

  private primaryKey(type: ClassRef) {
    const columns = this.dataSource.getMetadata(type).primaryColumns;
    if (columns.length !== 1) throw new TypeError(`${type.name} needs exactly one primary column to have a global id`);
    return columns[0];
  }
}
