export { argumentsExample, resultExample } from './schema-examples';
export { ValidationDetail } from './validation-error.factory';
export { InvalidSchemaError } from './invalid-schema.error';
