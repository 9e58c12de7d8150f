/**
 * One line per fault case, printed whatever the outcome: what was broken and what was
 * counted, so a CI log says what the suite actually exercised.
 */
export function faultSummary(name: string, broke: string, counted: Record<string, unknown>): void {
  const values = Object.entries(counted)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  console.log(`[faults] ${name}\n  broke: ${broke}\n  counted: ${values}`);
}

/** Milliseconds since `started`, rounded. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

export { sleep } from './redis-test-kit';
