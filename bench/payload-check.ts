import {
  measuredPayloadProblem,
  payloadLimits,
  storedPayloadProblem,
  storedTextSize,
} from 'nestjs-servus/async/payload-limits';
import { argsOf, SIZES } from './scale.bench';

/**
 * The worker's check of a stored job's size and depth (`limits`), alone, in µs per job, on the
 * scale section's payloads (limits.maxPayloadBytes 2 MiB, as there): from the stored text's size
 * and a depth walk of the parsed data (a job read by Servus's worker), against the walk that
 * also measures the size (a job handed over without its text), with `JSON.parse` of the same
 * text (which BullMQ does for every job) for scale. No Redis.
 *
 *   npx ts-node bench/payload-check.ts
 */

const limits = payloadLimits({ maxPayloadBytes: 2 * 1024 * 1024 });
let sink: unknown;

/** µs per call of `fn` over fresh parsed copies (as each job's data is), after a warm-up of the same length. */
function timed(datas: unknown[], reps: number, fn: (data: unknown) => unknown): number {
  for (let i = 0; i < reps; i++) sink = fn(datas[i % datas.length]);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) sink = fn(datas[i % datas.length]);
  return Number(process.hrtime.bigint() - t0) / reps / 1000;
}

const rows = SIZES.map((size) => {
  const text = JSON.stringify({ service: 'scale.plain', args: argsOf(size), metadata: { v: 1 } });
  const reps = Math.max(20, Math.round(2e7 / text.length));
  const datas = Array.from({ length: Math.min(reps, 20) }, () => JSON.parse(text) as unknown);
  // Each interleaved three times; the median of the three is shown.
  const runs = { text: [] as number[], walk: [] as number[], parse: [] as number[] };
  for (let round = 0; round < 3; round++) {
    runs.text.push(
      timed(datas, reps, (data) => measuredPayloadProblem(data, storedTextSize(text, limits.maxPayloadBytes), limits)),
    );
    runs.walk.push(timed(datas, reps, (data) => storedPayloadProblem(data, limits)));
    runs.parse.push(timed([text], reps, (json) => JSON.parse(json as string)));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[1].toFixed(1);
  return {
    bytes: text.length,
    'stored text size + depth walk (µs)': median(runs.text),
    'walk of the data (µs)': median(runs.walk),
    'JSON.parse (µs)': median(runs.parse),
  };
});
console.table(rows);
void sink;
