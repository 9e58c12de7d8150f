import type { JobsOptions } from 'bullmq';
import type { ServusPayloadLimits } from './payload-limits';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { ServusBullmqOptions } from './bullmq-interop-options.interface';

/** Options of the process that consumes queues (apps/worker). */
export interface ServusWorkerOptions {
  /** Queues this process consumes. Default: all of `queues`. */
  queues?: string[];
  /** Jobs run at once per queue. Default 10. */
  concurrency?: number;
  /** How long a job's lock lives without renewal; a killed worker's job is retried after it. Default 30000. */
  lockDurationMs?: number;
  /** How often stalled jobs (from killed workers) are looked for. Default 30000. */
  stalledIntervalMs?: number;
  /**
   * How many times a job may be recovered from a dead worker (stalled) before it fails for good
   * ('job stalled more than allowable limit', logged and counted as dead). Default 1.
   */
  maxStalledCount?: number;
  /** How long shutdown waits for in-flight jobs before closing anyway (they are then recovered as stalled). Default 30000. */
  shutdownTimeoutMs?: number;
}

/** The Redis/BullMQ part of the module options. */
export interface AsyncModuleOptions {
  /**
   * ioredis options, `{ url }`, or a Redis Cluster: `{ cluster: [{ host, port }, ...], options? }`
   * (ioredis ClusterOptions). Default: `REDIS_URL`, else redis://127.0.0.1:6379.
   */
  connection?: RedisOptions | { url: string } | RedisClusterConnection;
  /**
   * Take `connection` and `prefix` from the app's `BullModule.forRoot` (@nestjs/bullmq, installed
   * by the app) instead of `connection`; the two exclude each other. An explicit `prefix` still wins.
   */
  bullmq?: ServusBullmqOptions;
  /** Redis key prefix of every queue. Default 'servus'. On a cluster it must hold a hash tag, e.g. '{servus}'. */
  prefix?: string;
  /** The queues that exist; `callAsync` to any other is refused. Default ['default']. */
  queues?: string[];
  /** Queue of services that name none. Default: the first of `queues`. */
  defaultQueue?: string;
  /** `true` or options: this process consumes queues. Default false (enqueue only). */
  worker?: boolean | ServusWorkerOptions;
  /** BullMQ job options applied to every job (attempts, backoff, removeOnComplete, ...). */
  defaultJobOptions?: JobsOptions;
  /** Upper bound on `callAsync`'s wait for Redis before it throws JobEnqueueError. Default 2000. */
  enqueueTimeoutMs?: number;
  /** Job signing: see ServusSecurityOptions. */
  security?: ServusSecurityOptions;
  /** Size, depth and global-id bounds of a job's payload (defaults: 512 KiB, 64 levels, 100 ids). */
  limits?: ServusPayloadLimits;
}

/** A key jobs are signed with: its id travels in each job, so a worker knows which of its keys to check. */
export interface ServusSigningKey {
  /** Short and stable, e.g. '2026-11'; never reused for another secret. */
  id: string;
  /** At least 32 characters (or bytes) of randomness, e.g. `openssl rand -base64 48`. */
  secret: string | Buffer;
}

/** Job integrity beyond the built-in checks (a job runs only the service its name declares, on its queue). */
export interface ServusSecurityOptions {
  /**
   * Sign every job (HMAC-SHA256 over its name, queue, service, arguments and metadata) with the
   * first key; verify with any of them. A worker with keys refuses unsigned and tampered jobs
   * without retry. Rotate by putting the new key first everywhere, the old one after it, then
   * dropping the old one once its jobs are gone.
   */
  signingKeys?: ServusSigningKey[];
}

/** A Redis Cluster: its seed nodes, and ioredis ClusterOptions (their `redisOptions` apply to every node). */
export interface RedisClusterConnection {
  cluster: ClusterNode[];
  options?: ClusterOptions;
}
