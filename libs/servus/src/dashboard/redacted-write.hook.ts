import type { BeforeHook } from '@bull-board/api/typings/app';
import { REDACTED } from '../execution/redact';

/**
 * A bull-board `before` hook: refuses a write (edit a job's data, add or duplicate a job) whose
 * body holds the redaction marker. The board shows arguments redacted, so its editor starts from
 * the redacted copy; saving it would replace a job's real secrets with '[REDACTED]'.
 */
export const refuseRedactedWrites: BeforeHook = ({ method, request }) => {
  if (method === 'get' || request.body === undefined) return;
  // Anywhere in a value, not only a whole one: a masked card number or URL password sits inside a longer string.
  if (!JSON.stringify(request.body).includes(REDACTED)) return;
  return {
    allow: false,
    status: 400,
    message: `The job data holds ${REDACTED} values: the dashboard shows secrets redacted and cannot write them back. Enqueue the job from code instead.`,
  };
};

/** Why a write holding the redaction marker is refused (a 400 from the board). */
export const REDACTED_WRITE_MESSAGE = `The job data holds ${REDACTED} values: the dashboard shows secrets redacted and cannot write them back. Enqueue the job from code instead.`;

/** True when a value (job data a board would write) holds the redaction marker anywhere in it. */
export function holdsRedacted(value: unknown): boolean {
  return value !== undefined && (JSON.stringify(value) ?? '').includes(REDACTED);
}
