/**
 * A compiled argument or result contract (JSON Schema via ajv, or a class-validator DTO),
 * built once per service at bootstrap.
 */
export interface Contract {
  /** Checks `value`; returns (or, for async DTO validators, resolves to) what the service receives (defaults filled, or the DTO instance). Throws ValidationError. */
  validate(value: unknown, subject: string): unknown;
  /** What goes into the job: plain JSON (a DTO instance is turned back into a plain object). */
  toJson(validated: unknown): unknown;
}
