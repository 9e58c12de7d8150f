import { Redis } from 'ioredis';
import { BATCH } from 'nestjs-servus/flow/flow-scripts';
import { env } from './bench-kit';

/**
 * Redis's own time for flow control's script, per admitted job (one acquire and one release),
 * from Redis's `INFO commandstats` (the script's execution only, not the network): batches of
 * BENCH_FLOW_BATCH acquires (default 8) on distinct keys of a limit-1 service, then their
 * releases, as a worker at concurrency 10 sends them.
 *
 *   REDIS_URL=redis://127.0.0.1:<port> npx ts-node bench/flow-lua.ts
 *
 * Use a Redis of your own: commandstats count every client's EVALSHA. Keys under flow-lua-<pid>.
 */
async function main(): Promise<void> {
  const redis = new Redis(env.redisUrl()) as Redis & { flowBatch(...args: (string | number)[]): Promise<unknown[]> };
  redis.defineCommand('flowBatch', { lua: BATCH });
  const size = Number(process.env.BENCH_FLOW_BATCH ?? 8);
  const base = `flow-lua-${process.pid}:flow:bench.noop-keyed`;
  const usec = async () => {
    const m = /cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await redis.info('commandstats'));
    return Number(m?.[1] ?? 0);
  };
  let job = 0;
  let acquireUs = 0;
  let releaseUs = 0;
  const batches = 1500;
  try {
    await redis.flowBatch(0, 0); // loads the script
    for (let b = 0; b < batches; b++) {
      const acquire: { keys: string[]; args: (string | number)[] } = { keys: [], args: [] };
      const release: { keys: string[]; args: (string | number)[] } = { keys: [], args: [] };
      for (let i = 0; i < size; i++, job++) {
        const key = String(job % 1000);
        const member = `default:${job}`;
        const holder = `${member}:0123456789abcdef0123456789abcdef`;
        acquire.keys.push(`${base}:c:${key}`, `${base}:q:${key}`, `${base}:r:`, `${base}:s:`);
        acquire.args.push('a', member, 1, 30_000, 0, 0, 0, 300_000, holder);
        release.keys.push(`${base}:c:${key}`, `${base}:q:${key}`);
        release.args.push('r', holder, 1, 30_000);
      }
      const measured = b >= batches / 3; // the first third warms up
      for (const [ops, add] of [
        [acquire, (us: number) => (acquireUs += us)],
        [release, (us: number) => (releaseUs += us)],
      ] as const) {
        const before = await usec();
        await redis.flowBatch(ops.keys.length, ...ops.keys, size, ...ops.args);
        if (measured) add((await usec()) - before);
      }
    }
    const jobs = ((batches * 2) / 3) * size;
    console.log(
      `flow script, batches of ${size}: acquire ${(acquireUs / jobs).toFixed(2)} us, ` +
        `release ${(releaseUs / jobs).toFixed(2)} us, ` +
        `${((acquireUs + releaseUs) / jobs).toFixed(2)} us of Redis time a job`,
    );
  } finally {
    const keys = await redis.keys(`flow-lua-${process.pid}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
}

void main();
