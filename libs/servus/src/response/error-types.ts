import { ServiceError, ServiceErrorType } from './service-error';
import * as family from './http-errors';

const types = new Map<string, ServiceErrorType>();

/**
 * Makes a ServiceError subclass rebuildable by name from JSON (async results cross
 * process boundaries as JSON). The built-in family is registered already.
 *
 * @publicApi
 */
export function registerErrorType(type: ServiceErrorType): void {
  types.set(type.name, type);
}

export function errorTypeNamed(name: string): ServiceErrorType | undefined {
  return types.get(name);
}

registerErrorType(ServiceError as ServiceErrorType);
for (const type of Object.values(family)) registerErrorType(type as ServiceErrorType);
