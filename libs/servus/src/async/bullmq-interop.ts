import type { ConnectionOptions } from 'bullmq';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { AsyncModuleOptions } from './async-options.interface';

/** What Servus reads of the config an app gives `BullModule.forRoot` (bullmq QueueOptions). */
export interface SharedBullConfig {
  connection?: ConnectionOptions;
  prefix?: string;
}

/** What Servus takes from @nestjs/bullmq: its token builders (so its tokens are the app's) and the processor base class. */
export interface NestBullmq {
  getSharedConfigToken(configKey?: string): string;
  getQueueToken(name?: string): string;
  WorkerHost: abstract new (...args: never[]) => object;
}

/**
 * @nestjs/bullmq, loaded only when the `bullmq` option is used: it is an optional peer, and an app
 * without it must be able to load Servus.
 */
export function loadNestBullmq(): NestBullmq {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer, loaded on demand
    return require('@nestjs/bullmq') as NestBullmq;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'ServusModule: the bullmq option takes Redis from @nestjs/bullmq, which is not installed. Install it (npm i @nestjs/bullmq) or give ServusModule a connection instead.',
    );
  }
}

/**
 * Servus's `connection` from the one in BullModule's config. Servus makes its own clients from it
 * (fail-fast producer, blocking worker), so a client given to BullModule is copied by its options,
 * never shared. No connection: BullMQ's default, 127.0.0.1:6379.
 */
export function connectionFromShared(connection: ConnectionOptions | undefined): AsyncModuleOptions['connection'] {
  if (connection === undefined || connection === null) return {};
  if (typeof (connection as { duplicate?: unknown }).duplicate !== 'function')
    return { ...(connection as RedisOptions) };
  const client = connection as { isCluster?: boolean; startupNodes?: ClusterNode[]; options?: Record<string, unknown> };
  if (client.isCluster === true && Array.isArray(client.startupNodes)) {
    return { cluster: client.startupNodes, options: { ...(client.options as ClusterOptions) } };
  }
  if (client.options && (typeof client.options.port === 'number' || typeof client.options.path === 'string')) {
    // A lazy client waits for its first command to connect; Servus waits for 'ready' before its first one.
    const options = { ...client.options } as RedisOptions;
    delete options.lazyConnect;
    return options;
  }
  throw new Error(
    'ServusModule: the connection in BullModule.forRoot is a Redis client Servus cannot copy (only ioredis clients and option objects are). Give BullModule connection options, or give ServusModule its own connection.',
  );
}

/** BullMQ's own default key prefix, for a worker given none. */
const BULLMQ_DEFAULT_PREFIX = 'bull';

/**
 * The name of the Servus queue an app's `@Processor` consumes, if any: same queue name and prefix
 * on the connection of the same BullModule config. That worker would take Servus's jobs (and
 * Servus's worker the app's), so the boot is refused.
 */
export function queueTakenBy(
  processor: object,
  servus: { queues: readonly string[]; prefix: string; connection: unknown },
): string | undefined {
  let worker: { name?: string; opts?: { prefix?: string; connection?: unknown } };
  try {
    worker = (processor as { worker: typeof worker }).worker;
  } catch {
    return undefined; // registered manually later (manualRegistration): not checked
  }
  const prefix = worker.opts?.prefix ?? BULLMQ_DEFAULT_PREFIX;
  const sameRedis = worker.opts?.connection === servus.connection;
  return sameRedis && prefix === servus.prefix && servus.queues.includes(worker.name ?? '') ? worker.name : undefined;
}
