import 'reflect-metadata';
import { cpus } from 'node:os';
import { runSyncBench } from './sync.bench';

/** `npm run bench`: every benchmark, one after the other, then one JSON line of all results. */
async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; BENCH_N=${process.env.BENCH_N ?? 1} BENCH_ROUNDS=${process.env.BENCH_ROUNDS ?? 7}`);
  const results = { ...(await runSyncBench()) };
  console.log(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
