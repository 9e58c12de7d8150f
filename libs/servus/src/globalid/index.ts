export { EntityLocator } from './entity-locator.interface';
export { Locator } from './locator.decorator';
export { TypeOrmEntityLocator, DataSourceLike } from './typeorm-entity.locator';
export { GID_PREFIX } from './gid-prefix';
export { EntityNotFoundError } from './entity-not-found.error';
