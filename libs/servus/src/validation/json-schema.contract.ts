import type { ErrorObject, ValidateFunction } from 'ajv';
import { Contract } from '../service/contract.interface';
import { copyData } from './copy-data';
import { copyAlong, DefaultsPlan, defaultsPlan, lacksDefault } from './defaults-plan';
import { ValidationDetail, validationError } from './validation-error.factory';

/**
 * A JSON Schema compiled by ajv. Schemas with `default`s fill them into a copy, never into the
 * caller's object, and only when one is missing: then the objects on the way to the defaults are
 * copied, the rest is shared (a whole copy when a default sits where the plan does not follow,
 * such as under `allOf` or a `$ref`). `owned` data (a job's freshly decoded arguments) is filled
 * in place.
 */
export class JsonSchemaContract implements Contract {
  private readonly fillsDefaults: boolean;
  private readonly plan?: DefaultsPlan;

  /** `check`: the schema as ajv compiled it at boot (ContractCompiler; one per distinct schema). */
  constructor(
    schema: Record<string, unknown>,
    private readonly check: ValidateFunction,
  ) {
    this.fillsDefaults = JSON.stringify(schema).includes('"default"');
    this.plan = this.fillsDefaults ? defaultsPlan(schema) : undefined;
  }

  validate(value: unknown, subject: string, owned = false): unknown {
    const data = this.fillsDefaults && !owned ? this.fillable(value) : value;
    const check = this.check;
    if (check(data)) return data;
    // Stryker disable next-line ArrayDeclaration: ajv sets errors whenever a check fails
    throw validationError(subject, (check.errors ?? []).map(toDetail));
  }

  /** What ajv may fill: the value itself when no default is missing (or not an object), else a copy. */
  private fillable(value: unknown): unknown {
    if (!this.plan) return copyData(value);
    return lacksDefault(value, this.plan) ? copyAlong(value, this.plan) : value;
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
  // Stryker disable next-line MethodExpression: slice(1) dropped, the '' before the first '/' adds nothing to the path
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}
