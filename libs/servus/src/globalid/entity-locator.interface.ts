import { ClassRef } from '../util/class-ref';
/**
 * Makes instances of some classes passable to `callAsync`: the job carries a global id
 * (`gid://servus/Report/42`), and the worker loads the instance again (Servus's GlobalID).
 * Implement it on a provider decorated `@Locator()`, or extend TypeOrmEntityLocator.
 *
 * @publicApi
 */
export interface EntityLocator {
  /** The classes this locator identifies, by the type name used in their global ids. */
  types(): ReadonlyArray<{ name: string; type: ClassRef }>;
  /** The id of an instance of one of its types. */
  idOf(entity: object): string | number;
  /** The instance again, or null/undefined when it no longer exists (the job then fails without retry). */
  locate(type: ClassRef, id: string): Promise<object | null | undefined>;
}
