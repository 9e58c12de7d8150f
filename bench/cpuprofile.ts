/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof` or bench/profile.ts) and sums self and
 * inclusive time per function, and self time per origin (bullmq, ioredis, Servus, Nest,
 * node internals, GC...). `ts-node bench/cpuprofile.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  key: string;
  origin: string;
  selfMs: number;
  inclusiveMs: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: FunctionTime[];
  origins: Record<string, number>;
}

export function originOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    return functionName.startsWith('(') ? functionName : 'native';
  }
  if (url.includes('/node_modules/bullmq/')) return 'bullmq';
  if (
    url.includes('/node_modules/ioredis/') ||
    url.includes('/node_modules/@ioredis/') ||
    url.includes('/node_modules/redis-parser/')
  )
    return 'ioredis';
  if (url.includes('/node_modules/msgpackr')) return 'msgpackr';
  if (url.includes('/node_modules/@nestjs/')) return 'nest';
  if (url.includes('/node_modules/ajv')) return 'ajv';
  if (url.includes('/libs/servus/')) return 'servus';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/node_modules/')) return `other: ${url.split('/node_modules/').pop()!.split('/')[0]}`;
  return 'other';
}

export function keyOf(frame: CallFrame): string {
  const file = frame.url
    ? frame.url
        .replace(/^.*\/node_modules\//, '')
        .replace(/^.*\/(libs|bench)\//, '$1/')
        .replace(/^file:\/\//, '')
    : '';
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const origin = new Map<string, string>();
  const origins: Record<string, number> = {};
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's time is the delta to the next sample.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (us <= 0) continue;
    const node = byId.get(profile.samples[i])!;
    const key = keyOf(node.callFrame);
    origin.set(key, originOf(node.callFrame));
    self.set(key, (self.get(key) ?? 0) + us);
    const o = originOf(node.callFrame);
    origins[o] = (origins[o] ?? 0) + us;
    total += us;
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const k = keyOf(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      origin.set(k, originOf(frame));
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const functions = [...inclusive.keys()].map((key) => ({
    key,
    origin: origin.get(key)!,
    selfMs: (self.get(key) ?? 0) / 1000,
    inclusiveMs: inclusive.get(key)! / 1000,
  }));
  functions.sort((a, b) => b.selfMs - a.selfMs);
  return {
    totalMs: total / 1000,
    functions,
    origins: Object.fromEntries(
      Object.entries(origins)
        .map(([k, v]) => [k, v / 1000])
        .sort((a, b) => (b[1] as number) - (a[1] as number)),
    ),
  };
}

/** Printable: origins, then the top functions by self time, then (if given) inclusive times of named functions, per job. */
export function report(
  summary: ProfileSummary,
  { top = 25, jobs, watch = [] }: { top?: number; jobs?: number; watch?: RegExp[] } = {},
): string {
  const busy = summary.totalMs - (summary.origins.idle ?? 0);
  const perJob = (ms: number) => (jobs ? ` | ${((ms * 1000) / jobs).toFixed(2)} us/job` : '');
  const lines = [
    `sampled ${summary.totalMs.toFixed(0)} ms, busy (not idle) ${busy.toFixed(0)} ms${jobs ? `, ${jobs} jobs: ${((busy * 1000) / jobs).toFixed(2)} us busy CPU/job in this process` : ''}`,
  ];
  lines.push('self time by origin (idle excluded from the %):');
  for (const [name, ms] of Object.entries(summary.origins))
    if (name !== 'idle')
      lines.push(
        `  ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)}% of busy${perJob(ms)}`,
      );
  lines.push(`top ${top} functions by self time (% of busy):`);
  for (const fn of summary.functions.filter((f) => f.origin !== 'idle').slice(0, top)) {
    lines.push(
      `  ${fn.selfMs.toFixed(1).padStart(8)} ms ${((fn.selfMs / busy) * 100).toFixed(1).padStart(5)}%  [${fn.origin}] ${fn.key}${perJob(fn.selfMs)}`,
    );
  }
  const servus = summary.functions.filter((f) => f.origin === 'servus').sort((a, b) => b.inclusiveMs - a.inclusiveMs);
  if (servus.length) {
    lines.push(
      'every Servus function (inclusive = itself + what it calls synchronously; line numbers are of the transpiled JS):',
    );
    for (const fn of servus) {
      lines.push(
        `  incl ${fn.inclusiveMs.toFixed(1).padStart(8)} ms ${((fn.inclusiveMs / busy) * 100).toFixed(1).padStart(5)}% self ${fn.selfMs.toFixed(1).padStart(6)} ms  ${fn.key}${perJob(fn.inclusiveMs)}`,
      );
    }
  }
  if (watch.length) {
    lines.push('inclusive time of watched functions:');
    for (const pattern of watch) {
      for (const fn of summary.functions
        .filter((f) => pattern.test(f.key))
        .sort((a, b) => b.inclusiveMs - a.inclusiveMs)
        .slice(0, 3)) {
        lines.push(
          `  incl ${fn.inclusiveMs.toFixed(1).padStart(8)} ms ${((fn.inclusiveMs / busy) * 100).toFixed(1).padStart(5)}% self ${fn.selfMs.toFixed(1).padStart(6)} ms  ${fn.key}${perJob(fn.inclusiveMs)}`,
        );
      }
    }
  }
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: ts-node bench/cpuprofile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(report(summarizeProfile(JSON.parse(readFileSync(file, 'utf8'))), { top: Number(top ?? 30) }));
}
