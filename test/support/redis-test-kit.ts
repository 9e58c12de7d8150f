import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

let counter = 0;
/** A key prefix no other test (or run) uses, so suites can run against one Redis. */
export function uniquePrefix(name: string): string {
  return `servus-test-${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Deletes every key under a prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the job reaches one of `states` (completed/failed/...), then returns it. */
export async function waitForJob(
  queue: Queue,
  jobId: string,
  states: string[] = ['completed', 'failed'],
  timeoutMs = 20_000,
): Promise<Job> {
  const started = Date.now();
  for (;;) {
    const job = await queue.getJob(jobId);
    // Read the job again once it is there: the first read may predate its final fields.
    if (job && states.includes(await job.getState())) return (await queue.getJob(jobId))!;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `job ${jobId} not in ${states.join('/')} after ${timeoutMs}ms (state: ${job ? await job.getState() : 'missing'})`,
      );
    }
    await sleep(25);
  }
}

/** Polls `check` until it returns true. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs}ms`);
    await sleep(25);
  }
}
