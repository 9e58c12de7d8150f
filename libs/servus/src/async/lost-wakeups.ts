import type { Worker } from 'bullmq';
import { RedisClient } from './redis-connection';

/**
 * KEYS delayed, marker; ARGV now (ms, the clock BullMQ scores delayed jobs with). When the queue's earliest
 * delayed job is due and still delayed, puts the queue's wake-up marker back (scored with that job's time, as
 * BullMQ's own scripts do); 1 when it did.
 */
const RESTORE_MARKER = `
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] == nil then return 0 end
local at = tonumber(first[2]) / 0x1000
if at > tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], at, '1')
return 1
`;

type WatchClient = RedisClient & { servusRestoreMarker(delayed: string, marker: string, now: number): Promise<number> };

/**
 * Bounds how late a delayed job runs when the worker that took its wake-up dies.
 *
 * A delayed job wakes one blocked worker (it takes the queue's marker), which then waits for the job's time in
 * its own memory. Killed meanwhile, nobody else knows: the other workers look again only when their own blocking
 * wait ends (up to 10 s). Flow control parks jobs as delayed jobs timed to a lease's expiry, which is exactly
 * when a holder was killed, so a worker consuming queues with flow-limited services looks every `intervalMs` for
 * a due job still delayed and puts the marker back: a blocked worker (here or in another process) wakes and
 * promotes it. One script per queue a look; nothing when no delayed job is due. (A shorter drainDelay would not
 * do: a worker that knows of a later delayed job, such as a parked line's long timer, blocks until that one, up
 * to 10 s, whatever drainDelay says.)
 */
export class LostWakeupWatch {
  private timer?: NodeJS.Timeout;
  private looking = false;

  constructor(
    private readonly client: RedisClient,
    private readonly workers: Worker[],
    readonly intervalMs: number,
  ) {
    if (!('servusRestoreMarker' in client))
      client.defineCommand('servusRestoreMarker', { numberOfKeys: 2, lua: RESTORE_MARKER });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.look(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at every queue; the number of markers put back. Skipped while the previous look is still out. */
  async look(): Promise<number> {
    if (this.looking || this.client.status !== 'ready') return 0;
    this.looking = true;
    try {
      const client = this.client as WatchClient;
      const now = Date.now();
      const restored = await Promise.all(
        this.workers.map((worker) =>
          // Redis unreachable: the worker's own reconnection takes over; the next look tries again.
          client.servusRestoreMarker(worker.keys.delayed, worker.keys.marker, now).catch(() => 0),
        ),
      );
      return restored.reduce((sum, one) => sum + one, 0);
    } finally {
      this.looking = false;
    }
  }
}
