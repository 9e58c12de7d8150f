/** A foreign string (a job name, a scheduler id) in a reason or a log line: JSON-quoted and cut at `max`, never raw. */
export function quoted(value: unknown, max = 200): string {
  return JSON.stringify(String(value).slice(0, max));
}
