import { ServiceError, ServiceErrorType } from './service-error';
import * as family from './http-errors';
import { DuplicateErrorTypeError } from './duplicate-error-type.error';

const types = new Map<string, ServiceErrorType>();
const builtIns = new Set<ServiceErrorType>();

/**
 * Makes a ServiceError subclass rebuildable by name from JSON (async results cross
 * process boundaries as JSON). The built-in family is registered already. Registering
 * the same class again is a no-op; another class under a name already taken (say a
 * `ValidationError` of your own) throws a DuplicateErrorTypeError.
 *
 * @publicApi
 */
export function registerErrorType(type: ServiceErrorType): void {
  const registered = types.get(type.name);
  if (registered === type) return;
  if (registered) throw new DuplicateErrorTypeError(type.name, describeType(registered), describeType(type));
  types.set(type.name, type);
}

export function errorTypeNamed(name: string): ServiceErrorType | undefined {
  return types.get(name);
}

/** `ValidationError (extends UnprocessableEntityError, built in)`: the two classes share a name, so say what else tells them apart. */
function describeType(type: ServiceErrorType): string {
  const parent = Object.getPrototypeOf(type) as { name?: string } | null;
  const traits = [
    parent?.name ? `extends ${parent.name}` : undefined,
    builtIns.has(type) ? 'built in' : undefined,
  ].filter(Boolean);
  return traits.length ? `${type.name} (${traits.join(', ')})` : type.name;
}

for (const type of [ServiceError, ...Object.values(family)] as ServiceErrorType[]) {
  registerErrorType(type);
  builtIns.add(type);
}
