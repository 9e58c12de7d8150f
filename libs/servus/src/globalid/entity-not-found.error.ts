import { GID_PREFIX } from './gid-prefix';

/** A global id names a record that no longer exists: the job fails at once, without retry. */
export class EntityNotFoundError extends Error {
  constructor(
    readonly typeName: string,
    readonly id: string,
  ) {
    super(`${typeName} ${id} no longer exists (global id ${GID_PREFIX}${typeName}/${id})`);
    this.name = 'EntityNotFoundError';
  }
}
