const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500`, '1500', '500ms', '30s', '5m', '2h', '1d' -> milliseconds. Anything else throws, naming the value. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
    if (match) return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
  }
  throw new TypeError(
    `${JSON.stringify(value)} is not a duration: use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'`,
  );
}
