import { ValidationError } from '../response/http-errors';

/** One failing rule: where, which rule, and a sentence that says both. */
export interface ValidationDetail {
  path: string;
  rule: string;
  message: string;
}

/** `Invalid arguments for reports.generate: userId must be >= 1 (minimum); ...`, with the details attached. */
export function validationError(subject: string, details: ValidationDetail[]): ValidationError {
  const list = details.map((detail) => `${detail.message} (${detail.rule})`).join('; ');
  return new ValidationError(`Invalid ${subject}: ${list}`, { details });
}
