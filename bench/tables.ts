/**
 * The performance docs' tables from the JSON lines of several `npm run bench` runs:
 * `npx ts-node bench/tables.ts run1.txt run2.txt run3.txt` (each file holds one run's output;
 * its last line starting with `{` is read). Per case: each run's median, then the median of those.
 * Targets: each run's own measure and PASS/MISS. Markdown on stdout.
 */
import { readFileSync } from 'node:fs';

type Summary = { median: number };
type Run = Record<string, unknown> & { machine: Record<string, unknown>; targets?: Target[] };
type Target = { target: string; measured: string; pass: boolean };

const runs: Run[] = process.argv.slice(2).map((file) => {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .pop();
  if (!line) throw new Error(`${file}: no JSON line (the last line of a bench run starts with "{")`);
  return JSON.parse(line) as Run;
});
if (!runs.length) throw new Error('usage: ts-node bench/tables.ts <run output>...');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const at = (run: Run, path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], run);

/** A table of one figure per case: rows are the cases any run has under `path`, in the order they first appear. */
function table(title: string, path: string[], pick: (value: unknown) => number | undefined, digits: number): void {
  const rows = [
    ...new Set(
      runs.flatMap((run) => {
        const node = at(run, path);
        if (!node || typeof node !== 'object') return [];
        return Object.keys(node).filter((name) => pick((node as Record<string, unknown>)[name]) !== undefined);
      }),
    ),
  ];
  if (!rows.length) return;
  console.log(`| ${title} | runs | median |\n|---|---|---:|`);
  for (const name of rows) {
    const values = runs.map((run) => pick(at(run, [...path, name])));
    const known = values.filter((value): value is number => value !== undefined);
    const shown = values.map((value) => (value === undefined ? '-' : value.toFixed(digits))).join(' / ');
    console.log(`| ${name} | ${shown} | ${known.length ? median(known).toFixed(digits) : '-'} |`);
  }
  console.log('');
}

const numeric = (value: unknown) => (typeof value === 'number' ? value : undefined);
const medianOf = (value: unknown) => (value as Summary | undefined)?.median;
const number = (key: string) => (value: unknown) => {
  const figure = (value as Record<string, unknown> | undefined)?.[key];
  return typeof figure === 'number' ? figure : undefined;
};

for (const [index, run] of runs.entries()) {
  const { machine } = run;
  console.log(
    `run ${index + 1}: ${String(machine.cores)} x ${String(machine.cpu)}, node ${String(machine.node)}, redis ${String(machine.redis)}, ` +
      `load ${String(machine.loadavg1m)} at start, BENCH_N=${String(machine.benchN)}, ${String(machine.rounds)} rounds, ${String(run.wallSeconds)} s`,
  );
}
console.log('');
table('sync case: overhead over direct call, ns', ['sync'], number('overheadNs'), 0);
table('enqueue ratio', ['enqueue', 'ratios'], medianOf, 3);
table('enqueue CPU us/job', ['enqueue', 'cpuUsPerJob'], medianOf, 1);
table('process ratio', ['process', 'ratios'], medianOf, 3);
table('process CPU us/job', ['process', 'cpuUsPerJob'], medianOf, 1);
table('pickup p50 ms (all jobs)', ['pickup'], number('p50'), 3);
table('flow ratio', ['flow', 'ratio'], medianOf, 3);
table('flow CPU us/job', ['flow', 'cpuUsPerJob'], medianOf, 1);

const sizes = Object.keys((at(runs[0], ['scale', 'bySize']) as object | undefined) ?? {});
for (const size of sizes) {
  table(`scale, arguments of ${size} B: Servus / raw`, ['scale', 'bySize', size, 'ratios'], numeric, 3);
  table(`scale, arguments of ${size} B: CPU us/job`, ['scale', 'bySize', size, 'cpuUsPerJob'], medianOf, 0);
}
table('scale: fan-out, ms per emit', ['scale', 'fanout'], medianOf, 2);
table(
  'scale: fan-out, emit / addBulk',
  ['scale'],
  (value) => numeric((value as { ratio?: unknown } | undefined)?.ratio),
  2,
);
table('scale: boot, ms', ['scale', 'boot'], numeric, 0);

table('outbox latency p50 ms (all jobs)', ['outbox', 'latency'], number('p50'), 2);
table('outbox throughput jobs/s', ['outbox', 'throughput'], medianOf, 0);

const targets = [...new Set(runs.flatMap((run) => (run.targets ?? []).map((item) => item.target)))];
if (targets.length) {
  console.log(`| target (each run's own PASS/MISS) | ${runs.map((_, i) => `run ${i + 1}`).join(' | ')} |`);
  console.log(`|---|${runs.map(() => '---').join('|')}|`);
  for (const target of targets) {
    const cells = runs.map((run) => {
      const found = run.targets?.find((item) => item.target === target);
      return found ? `${found.measured} ${found.pass ? 'PASS' : 'MISS'}` : '-';
    });
    console.log(`| ${target} | ${cells.join(' | ')} |`);
  }
}
