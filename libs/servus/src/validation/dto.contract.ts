import { Type } from '@nestjs/common';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validate, ValidationError as ClassValidatorError, ValidatorOptions } from 'class-validator';
import { Contract } from '../service/contract.interface';
import { ValidationDetail, validationError } from './validation-error.factory';

/**
 * A class-validator DTO: plain input is turned into the DTO with class-transformer (so
 * `@Type(() => Date)` fields arrive as Dates, sync and async) and validated.
 */
export class DtoContract implements Contract {
  constructor(
    private readonly dto: Type,
    private readonly options: ValidatorOptions,
    /** A result contract checks the data but hands it on unchanged. */
    private readonly transforms: boolean,
  ) {}

  async validate(value: unknown, subject: string): Promise<unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw validationError(subject, [
        { path: '', rule: 'type', message: `value must be an object (${this.dto.name})` },
      ]);
    }
    // Always a new instance: whitelisting must not strip fields from the caller's object (or the service's result).
    const instance = plainToInstance(this.dto, value) as object;
    const errors = await validate(instance, this.options);
    if (errors.length) throw validationError(subject, flatten(errors, ''));
    return this.transforms ? instance : value;
  }

  /** The DTO as JSON: its Dates become ISO strings, which `@Type(() => Date)` turns back in the worker. */
  toJson(validated: unknown): unknown {
    return JSON.parse(JSON.stringify(instanceToPlain(validated)));
  }
}

function flatten(errors: ClassValidatorError[], parent: string): ValidationDetail[] {
  return errors.flatMap((error) => {
    // forbidUnknownValues' error is about the value itself: class-validator gives it no property.
    const property = error.property ?? '';
    const path = parent ? (/^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`) : property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      path,
      rule,
      // class-validator names the property but not its parents: say the whole path.
      message: parent && message.startsWith(`${property} `) ? `${path}${message.slice(property.length)}` : message,
    }));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
