import type { ErrorObject, ValidateFunction } from 'ajv';
import { Contract } from '../service/contract.interface';
import { copyData } from './copy-data';
import { ValidationDetail, validationError } from './validation-error.factory';

/**
 * A JSON Schema compiled by ajv. Schemas with `default`s get a copy filled in, never the caller's
 * object; `owned` data (a job's freshly decoded arguments) is filled in place.
 */
export class JsonSchemaContract implements Contract {
  private readonly fillsDefaults: boolean;

  /** `validator`: the compiled schema, compiled by its first call (ContractCompiler). */
  constructor(
    schema: Record<string, unknown>,
    private readonly validator: () => ValidateFunction,
  ) {
    this.fillsDefaults = JSON.stringify(schema).includes('"default"');
  }

  validate(value: unknown, subject: string, owned = false): unknown {
    const data = this.fillsDefaults && !owned && value !== null && typeof value === 'object' ? copyData(value) : value;
    const check = this.validator();
    if (check(data)) return data;
    throw validationError(subject, (check.errors ?? []).map(toDetail));
  }

  toJson(validated: unknown): unknown {
    return validated;
  }
}

function toDetail(error: ErrorObject): ValidationDetail {
  const base = pointerToPath(error.instancePath);
  const join = (key: string) => (base ? `${base}.${key}` : key);
  switch (error.keyword) {
    case 'required':
      return {
        path: join((error.params as { missingProperty: string }).missingProperty),
        rule: 'required',
        message: `${join((error.params as { missingProperty: string }).missingProperty)} is required`,
      };
    case 'additionalProperties':
      return {
        path: join((error.params as { additionalProperty: string }).additionalProperty),
        rule: 'additionalProperties',
        message: `${join((error.params as { additionalProperty: string }).additionalProperty)} is not allowed`,
      };
    case 'enum':
      return {
        path: base,
        rule: 'enum',
        message: `${base || 'value'} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`,
      };
    default:
      return { path: base, rule: error.keyword, message: `${base || 'value'} ${error.message}` };
  }
}

/** '/items/2/sku' -> 'items[2].sku' */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}
