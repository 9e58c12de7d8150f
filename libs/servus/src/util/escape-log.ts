/**
 * C0 controls (line breaks, ESC which starts ANSI sequences, ...), DEL, C1 controls, and the
 * Unicode line and paragraph separators: what lets a value start a new log line or repaint one.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `value` as text safe for one log line: every control character written as an escape
 * (`\n`, `\r`, `\t`, `\x1b`, `\u2028`), so a value from outside (a job id, a context value, a
 * property name) can neither forge a line nor color one. Long values are cut at `max` characters.
 */
export function escapeLog(value: unknown, max = 1000): string {
  let text = typeof value === 'string' ? value : String(value);
  if (text.length > max) text = `${text.slice(0, max)}...(${text.length - max} more characters)`;
  return text.replace(CONTROL, escapeChar);
}

/** An error's stack with its message line(s) escaped; the frames below stay one per line. */
export function escapeStack(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return undefined;
  const header = `${error.name}: ${error.message}`;
  const { stack } = error;
  if (stack.startsWith(header)) return escapeLog(header, 10_000) + stack.slice(header.length);
  // A stack that does not start with the message (a custom one): every line escaped, frames kept apart.
  return stack
    .split('\n')
    .map((line) => escapeLog(line, 10_000))
    .join('\n');
}

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
