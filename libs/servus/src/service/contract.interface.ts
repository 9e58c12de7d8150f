/**
 * A compiled argument or result contract (JSON Schema via ajv, or a class-validator DTO),
 * built once per service at bootstrap.
 */
export interface Contract {
  /**
   * Checks `value`; returns (or, for async DTO validators, resolves to) what the service receives
   * (defaults filled, or the DTO instance). Throws ValidationError. `owned`: nobody else holds
   * `value` (a job's decoded data), so it may be changed in place; otherwise the caller's object
   * is never changed.
   */
  validate(value: unknown, subject: string, owned?: boolean): unknown;
  /** What goes into the job: plain JSON (a DTO instance is turned back into a plain object). */
  toJson(validated: unknown): unknown;
}
