import { Logger } from '@nestjs/common';
import { Cluster, Redis, RedisOptions } from 'ioredis';
import { AsyncModuleOptions, RedisClusterConnection } from './async-options.interface';

/** A client of one Redis, or of a Redis Cluster: BullMQ takes either. */
export type RedisClient = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 2000;

/**
 * A new ioredis client from the module's `connection` (or REDIS_URL). `role` sets what
 * BullMQ needs of it: producers fail fast (no offline queue, and no resending on a new connection
 * of what was in flight when the old one dropped, so a command is never sent late, after the
 * caller was told it failed); workers block and must retry forever.
 */
export function createRedisClient(options: AsyncModuleOptions, role: 'producer' | 'worker'): RedisClient {
  // A producer's commands time out in ioredis (its commandTimeout: a timer per command, none of
  // Servus's own), so a Redis that accepts but never answers costs the caller enqueueTimeoutMs, not forever.
  const overrides: RedisOptions =
    role === 'producer'
      ? {
          enableOfflineQueue: false,
          autoResendUnfulfilledCommands: false,
          maxRetriesPerRequest: 1,
          commandTimeout: options.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS,
        }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const connection = options.connection ?? { url: process.env.REDIS_URL || DEFAULT_REDIS_URL };
  let client: RedisClient;
  if (isCluster(connection)) {
    const { redisOptions, ...clusterOptions } = connection.options ?? {};
    // The cluster queues commands itself while it (re)discovers slots: same rule as a node's offline queue.
    client = new Cluster(connection.cluster, {
      ...clusterOptions,
      enableOfflineQueue: overrides.enableOfflineQueue,
      redisOptions: { ...redisOptions, ...overrides },
    });
  } else if ('url' in connection && typeof connection.url === 'string') {
    const { url, ...rest } = connection as { url: string } & RedisOptions;
    client = new Redis(url, { ...rest, ...overrides });
  } else {
    client = new Redis({ ...(connection as RedisOptions), ...overrides });
  }
  warnOnErrors(client, role);
  return client;
}

export function isCluster(connection: AsyncModuleOptions['connection']): connection is RedisClusterConnection {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    Array.isArray((connection as RedisClusterConnection).cluster)
  );
}

const logger = new Logger('Servus');

/** ioredis reconnects by itself; a listener keeps its 'error' events from crashing the process, and says so once in a while. */
function warnOnErrors(client: RedisClient, role: string): void {
  let lastWarned = 0;
  client.on('error', (error: Error) => {
    if (Date.now() - lastWarned > 10_000) {
      lastWarned = Date.now();
      logger.warn(`Redis (${role}): ${error.message}`);
    }
  });
}

/** Resolves when the client is ready; rejects after `timeoutMs` or on a connection error. */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`Redis not ready after ${timeoutMs}ms (status ${client.status})`)),
      timeoutMs,
    );
    const onReady = () => done();
    const onError = (error: Error) => done(error);
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
