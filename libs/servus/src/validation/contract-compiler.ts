import { ValidationModuleOptions } from './validation-options.interface';
import { Inject, Injectable, Type } from '@nestjs/common';
import Ajv, { AnySchema, Options as AjvOptions, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServiceOptions } from '../service/service-options.interface';
import { Contract } from '../service/contract.interface';
import { DtoContract } from './dto.contract';
import { JsonSchemaContract } from './json-schema.contract';
import { readSchemaFile, resolveSchemasDir } from './schema-files';
import { InvalidSchemaError } from './invalid-schema.error';
import { checkSchema } from './schema-check';

/** A service's contracts: argument and result, either may be absent (no validation). */
export interface ServiceContracts {
  arguments?: Contract;
  result?: Contract;
}

type Which = 'arguments' | 'result' | 'payload';

const AJV_OPTIONS: AjvOptions = {
  allErrors: true,
  useDefaults: true,
  // Unknown keywords and formats are typos: fail the boot. Type-level strictness would refuse valid schemas.
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
};

/**
 * Compiles each service's contracts once, at bootstrap: the `@Service({ arguments, result })`
 * option first, else `<schemasDir>/<service path>/arguments.json` / `result.json`.
 * A function is a class-validator DTO; an object is a JSON Schema (draft-07, or 2020-12
 * when its `$schema` says so).
 */
@Injectable()
export class ContractCompiler {
  private draft07?: Ajv;
  private draft2020?: Ajv2020;
  /** Where file-based schemas are read from, resolved once (see resolveSchemasDir). */
  readonly schemasDir: string;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) private readonly options: ValidationModuleOptions) {
    this.schemasDir = resolveSchemasDir(options.schemasDir);
  }

  compile(service: string, options: ServiceOptions): ServiceContracts {
    return {
      arguments: this.contract(service, 'arguments', options.arguments),
      result: this.contract(service, 'result', options.result),
    };
  }

  /** The payload contract of an event handler (declared only; no files). */
  compilePayload(handler: string, declared: object | undefined): Contract | undefined {
    return this.contract(handler, 'payload', declared);
  }

  private contract(service: string, which: Which, declared: object | undefined): Contract | undefined {
    const source = declared ?? (which === 'payload' ? undefined : this.readFile(service, which));
    if (source === undefined) return undefined;
    if (typeof source === 'function') {
      const validation = this.options.validation ?? {};
      return new DtoContract(
        source as Type,
        {
          whitelist: validation.whitelist ?? true,
          forbidNonWhitelisted: validation.forbidNonWhitelisted ?? false,
          // Stryker disable next-line LogicalOperator: class-validator reads an undefined forbidUnknownValues as true
          forbidUnknownValues: validation.forbidUnknownValues ?? true,
        },
        which !== 'result',
      );
    }
    if (source === null || typeof source !== 'object' || Array.isArray(source)) {
      throw new InvalidSchemaError(service, which, 'expected a JSON Schema object or a class-validator DTO class');
    }
    try {
      return new JsonSchemaContract(
        source as Record<string, unknown>,
        this.compileSchema(source as Record<string, unknown>),
      );
    } catch (error) {
      throw new InvalidSchemaError(service, which, (error as Error).message);
    }
  }

  /**
   * Identical schemas (same JSON text, no `$id`) share one validator. A schema is checked (meta-schema,
   * unknown keywords and formats, with messages that name the fault) and compiled here, at boot: a
   * schema ajv refuses fails the boot on its first declaration, never a call in production.
   */
  private readonly compiled = new Map<string, ValidateFunction>();

  private compileSchema(schema: Record<string, unknown>): ValidateFunction {
    const draft2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
    const ajv = draft2020
      ? (this.draft2020 ??= setUp(new Ajv2020(AJV_OPTIONS)))
      : (this.draft07 ??= setUp(new Ajv(AJV_OPTIONS)));
    const id = typeof schema.$id === 'string' ? schema.$id : undefined;
    if (id === undefined) {
      // The text holds the dialect too ($schema decides it): one key per text.
      const key = JSON.stringify(schema);
      let check = this.compiled.get(key);
      if (!check) {
        checkSchema(ajv, schema);
        check = ajv.compile(schema as AnySchema);
        this.compiled.set(key, check);
      }
      return check;
    }
    const known = ajv.getSchema(id);
    if (!known) return ajv.compile(schema as AnySchema);
    // One $id, one schema: reuse it only when it is the same schema, never another service's.
    if (JSON.stringify(known.schema) !== JSON.stringify(schema))
      throw new Error(`$id ${id} is already used by a different schema`);
    return known;
  }

  private readFile(service: string, which: 'arguments' | 'result'): object | undefined {
    return readSchemaFile(this.schemasDir, service, which) as object | undefined;
  }
}

function setUp<T extends Ajv>(ajv: T): T {
  addFormats(ajv);
  // Servus schemas carry `example` (OpenAPI style) for the testing helpers.
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}
