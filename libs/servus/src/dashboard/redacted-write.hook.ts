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
