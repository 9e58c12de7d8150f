import type Ajv from 'ajv';

/** Keywords whose value is one subschema. */
const ONE = [
  'not',
  'if',
  'then',
  'else',
  'additionalItems',
  'contains',
  'additionalProperties',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
];
/** Keywords whose value is a list of subschemas (`items` too, in its tuple form). */
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
/** Keywords whose value maps names to subschemas (`dependencies` too, for its schema entries). */
const MAP = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'];

/**
 * Checks a JSON Schema before it is compiled: ajv's meta-schema, then the mistakes ajv's strict
 * mode refuses when it compiles: an unknown keyword (a typo), an unknown format, a pattern that
 * is no regular expression, a default at the root, an `if` without `then` or `else`. Throws with
 * ajv's own words, naming where; ajv's rarer strict rules are met by the compile that follows,
 * at boot too.
 */
export function checkSchema(ajv: Ajv, schema: Record<string, unknown>): void {
  if (!ajv.validateSchema(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(ajv.errors)}`);
  if ('default' in schema) throw new Error('strict mode: default is ignored in the schema root');
  walk(ajv, schema, '#');
}

function walk(ajv: Ajv, schema: unknown, path: string): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const node = schema as Record<string, unknown>;
  for (const key of Object.keys(node)) {
    if (!(key in ajv.RULES.keywords)) throw new Error(`strict mode: unknown keyword: "${key}"`);
  }
  if (typeof node.format === 'string' && !(node.format in ajv.formats))
    throw new Error(`unknown format "${node.format}" ignored in schema at path "${path}"`);
  if (typeof node.pattern === 'string') regExp(node.pattern);
  if (node.patternProperties && typeof node.patternProperties === 'object')
    Object.keys(node.patternProperties).forEach(regExp);
  if ('if' in node && !('then' in node) && !('else' in node))
    throw new Error('strict mode: "if" without "then" and "else" is ignored');
  // Stryker disable next-line ConditionalExpression: walk() of an absent keyword's undefined returns at once
  for (const key of ONE) if (key in node) walk(ajv, node[key], `${path}/${key}`);
  for (const key of LIST) each(ajv, node[key], `${path}/${key}`);
  if (Array.isArray(node.items)) each(ajv, node.items, `${path}/items`);
  else walk(ajv, node.items, `${path}/items`);
  for (const key of MAP) entries(ajv, node[key], `${path}/${key}`);
  if (node.dependencies && typeof node.dependencies === 'object')
    for (const [name, value] of Object.entries(node.dependencies))
      // Stryker disable next-line ConditionalExpression: walk() of a list of names returns at once
      if (!Array.isArray(value)) walk(ajv, value, `${path}/dependencies/${name}`);
}

function each(ajv: Ajv, list: unknown, path: string): void {
  if (Array.isArray(list)) list.forEach((item, i) => walk(ajv, item, `${path}/${i}`));
}

function entries(ajv: Ajv, map: unknown, path: string): void {
  if (map && typeof map === 'object')
    for (const [name, value] of Object.entries(map)) walk(ajv, value, `${path}/${name}`);
}

/** ajv compiles patterns as unicode regular expressions. */
function regExp(pattern: string): void {
  new RegExp(pattern, 'u');
}
