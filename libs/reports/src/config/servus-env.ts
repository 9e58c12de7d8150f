import type { DataSource } from 'typeorm';
import { ServusModuleOptions, TypeOrmOutboxStore } from 'nestjs-servus';
import { ServusOutboxOptions } from 'nestjs-servus/extend';

/**
 * Servus options of the example's deployments, from the environment:
 * REDIS_URL, or REDIS_CLUSTER_NODES (host:port,host:port: a Redis Cluster; SERVUS_PREFIX then
 * needs a hash tag, e.g. {servus}), SERVUS_PREFIX, SERVUS_QUEUES (the queues that exist, comma-separated).
 * The worker adds SERVUS_WORKER_QUEUES (the ones it consumes; default all),
 * SERVUS_CONCURRENCY, SERVUS_LOCK_DURATION_MS, SERVUS_STALLED_INTERVAL_MS, SERVUS_SHUTDOWN_TIMEOUT_MS.
 */
export function servusOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServusModuleOptions {
  return {
    connection: clusterNodes(env.REDIS_CLUSTER_NODES) ?? { url: env.REDIS_URL || 'redis://127.0.0.1:6379' },
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
      maxStalledCount: int(env, 'SERVUS_MAX_STALLED_COUNT', 0),
    },
  };
}

/**
 * The transactional outbox on the example's database. SERVUS_OUTBOX_RELAY 'on'/'off' overrides
 * the default (a relay in the worker, none in the api); SERVUS_OUTBOX_BATCH sets rows per move
 * (and turns the relay on unless SERVUS_OUTBOX_RELAY is 'off').
 */
export function outboxFromEnv(dataSource: DataSource, env: NodeJS.ProcessEnv = process.env): ServusOutboxOptions {
  const relay = env.SERVUS_OUTBOX_RELAY;
  if (relay !== undefined && relay !== '' && relay !== 'on' && relay !== 'off')
    throw new Error(`SERVUS_OUTBOX_RELAY must be 'on' or 'off', got ${JSON.stringify(relay)}`);
  const batchSize = int(env, 'SERVUS_OUTBOX_BATCH');
  const enabled = relay ? relay === 'on' : undefined;
  return {
    store: new TypeOrmOutboxStore(dataSource),
    relay: batchSize !== undefined && enabled !== false ? { batchSize } : enabled,
  };
}

/**
 * The worker's HTTP listener (/metrics, /health): SERVUS_WORKER_HTTP_PORT (default 3001; 0 picks a
 * free port; 'off' runs without HTTP) on SERVUS_WORKER_HTTP_HOST (default 127.0.0.1; 0.0.0.0 in a container).
 */
export function workerHttpFromEnv(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } | undefined {
  const value = env.SERVUS_WORKER_HTTP_PORT ?? '3001';
  if (value === 'off') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`SERVUS_WORKER_HTTP_PORT must be a port number or 'off', got ${JSON.stringify(value)}`);
  return { port, host: env.SERVUS_WORKER_HTTP_HOST || '127.0.0.1' };
}

function clusterNodes(value: string | undefined): { cluster: { host: string; port: number }[] } | undefined {
  const nodes = list(value)?.map((node) => {
    const match = /^(.+):(\d+)$/.exec(node);
    if (!match) throw new Error(`REDIS_CLUSTER_NODES must be host:port,host:port, got ${JSON.stringify(node)}`);
    return { host: match[1], port: Number(match[2]) };
  });
  return nodes && { cluster: nodes };
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function int(env: NodeJS.ProcessEnv, name: string, min = 1): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    throw new Error(
      `${name} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got ${JSON.stringify(value)}`,
    );
  return number;
}
