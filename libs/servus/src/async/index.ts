export { ServusWorkerOptions } from './async-options.interface';
export { parseDuration } from './duration';
export { MAX_PRIORITY } from './job-options';
export { ServusWorker } from './servus-worker';
export { QueueConsumerState } from '../execution/queue-health.port';
export { runServusWorker, RunServusWorkerOptions } from './run-servus-worker';
export { RedisClusterConnection } from './async-options.interface';
