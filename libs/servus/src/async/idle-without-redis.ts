import { RedisClient } from './redis-connection';

/**
 * Resolves once no job runs here (`running()` is 0) while none of `connections` is ready: a worker's pause()
 * would wait for its blocked fetches, which never return without Redis, for the whole shutdownTimeoutMs.
 * With Redis up, pause() is the answer (a fetch in flight may still hand over a job to finish).
 */
export function idleWithoutRedis(
  connections: RedisClient[],
  running: () => number,
): { promise: Promise<'offline'>; cancel: () => void } {
  let poll: NodeJS.Timeout | undefined;
  const promise = new Promise<'offline'>((resolve) => {
    const check = () => {
      const offline = connections.every((connection) => connection.status !== 'ready');
      if (offline && running() === 0) resolve('offline');
      else poll = setTimeout(check, 100);
    };
    check();
  });
  return { promise, cancel: () => clearTimeout(poll) };
}
