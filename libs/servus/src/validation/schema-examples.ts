import { Type } from '@nestjs/common';
import { ArgsOf, DataOf } from '../service/service-base';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { isPlainObject } from '../util/is-plain-object';
import { readSchemaFile } from './schema-files';

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const accessor = new ServusMetadataAccessor();

/**
 * Example arguments of a service, from its JSON Schema (`example`, the first of `examples`,
 * else built from each property's example/default), deep-merged with `overrides`.
 * Servus's `servus_arguments_example`.
 *
 * @publicApi
 */
export function argumentsExample<S>(
  service: Type<S>,
  overrides?: DeepPartial<ArgsOf<S>>,
  options: { schemasDir?: string } = {},
): ArgsOf<S> {
  return exampleOf(service, 'arguments', overrides, options.schemasDir) as ArgsOf<S>;
}

/** Example success data of a service, from its result schema. @publicApi */
export function resultExample<S>(
  service: Type<S>,
  overrides?: DeepPartial<DataOf<S>>,
  options: { schemasDir?: string } = {},
): DataOf<S> {
  return exampleOf(service, 'result', overrides, options.schemasDir) as DataOf<S>;
}

function exampleOf(service: Type, which: 'arguments' | 'result', overrides: unknown, schemasDir?: string): unknown {
  const declared = accessor.getServiceOptions(service)?.[which];
  const schema = declared ?? readSchemaFile(schemasDir, accessor.getServiceName(service), which);
  if (!schema || typeof schema !== 'object') {
    throw new Error(`${service.name} has no ${which} JSON Schema to take an example from`);
  }
  const example = build(schema as Record<string, unknown>);
  if (example === undefined)
    throw new Error(`The ${which} schema of ${service.name} has no example, examples or defaults`);
  return overrides === undefined ? example : deepMerge(example, overrides);
}

function build(schema: Record<string, unknown>): unknown {
  if ('example' in schema) return structuredClone(schema.example);
  if (Array.isArray(schema.examples) && schema.examples.length) return structuredClone(schema.examples[0]);
  if ('default' in schema) return structuredClone(schema.default);
  if (schema.properties && typeof schema.properties === 'object') {
    const object: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
      const value = build(property);
      if (value !== undefined) object[key] = value;
    }
    return Object.keys(object).length ? object : undefined;
  }
  return undefined;
}

function deepMerge(base: unknown, overrides: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return structuredClone(overrides);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides))
    merged[key] = key in merged ? deepMerge(merged[key], value) : value;
  return merged;
}
