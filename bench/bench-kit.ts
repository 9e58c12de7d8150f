/** Shared helpers of the benchmarks: interleaved rounds, summaries, and the printed table. */

export interface Summary {
  min: number;
  median: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

/**
 * Runs every case once per round, in a rotating order, so drift on a shared machine hits
 * all cases alike. Each case returns its own measurement for the round.
 */
export async function interleave(rounds: number, cases: Record<string, () => Promise<number>>): Promise<Record<string, Summary>> {
  const names = Object.keys(cases);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      samples[name].push(await cases[name]());
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(samples[name])]));
}

export function table(title: string, unit: string, rows: Record<string, Summary>, extra: Record<string, string> = {}): string {
  const lines = [`\n${title}`, `| case | min ${unit} | median ${unit} | max ${unit} | |`, '|---|---:|---:|---:|---|'];
  for (const [name, s] of Object.entries(rows)) {
    lines.push(`| ${name} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.max)} | ${extra[name] ?? ''} |`);
  }
  return lines.join('\n');
}

export function fmt(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

export const env = {
  n: (fallback: number) => Math.max(1, Math.round(fallback * Number(process.env.BENCH_N_SCALE ?? process.env.BENCH_N ?? 1))),
  rounds: () => Number(process.env.BENCH_ROUNDS ?? 7),
};
