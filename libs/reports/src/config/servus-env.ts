import { ServusModuleOptions } from '@app/servus';

/**
 * Servus options of the example's deployments, from the environment:
 * REDIS_URL, SERVUS_PREFIX, SERVUS_QUEUES (the queues that exist, comma-separated).
 * The worker adds SERVUS_WORKER_QUEUES (the ones it consumes; default all),
 * SERVUS_CONCURRENCY, SERVUS_LOCK_DURATION_MS, SERVUS_STALLED_INTERVAL_MS, SERVUS_SHUTDOWN_TIMEOUT_MS.
 */
export function servusOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServusModuleOptions {
  return {
    connection: { url: env.REDIS_URL || 'redis://127.0.0.1:6379' },
    prefix: env.SERVUS_PREFIX || undefined,
    queues: list(env.SERVUS_QUEUES) ?? ['default', 'critical', 'low'],
    // The api's middleware puts the caller's tenant in the context; jobs carry it to the worker.
    context: { carry: ['tenantId'] },
  };
}

export function workerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServusModuleOptions {
  const options = servusOptionsFromEnv(env);
  return {
    ...options,
    worker: {
      queues: list(env.SERVUS_WORKER_QUEUES) ?? options.queues,
      concurrency: int(env, 'SERVUS_CONCURRENCY'),
      lockDurationMs: int(env, 'SERVUS_LOCK_DURATION_MS'),
      stalledIntervalMs: int(env, 'SERVUS_STALLED_INTERVAL_MS'),
      shutdownTimeoutMs: int(env, 'SERVUS_SHUTDOWN_TIMEOUT_MS'),
    },
  };
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return number;
}
