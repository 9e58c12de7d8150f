import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServusWorker } from './servus-worker';

type RootModule = Parameters<typeof NestFactory.createApplicationContext>[0];

/**
 * Boots a worker deployment (a Nest application context, no HTTP) and shuts it down
 * cleanly on SIGTERM/SIGINT: no job is taken after the signal, in-flight jobs finish (up to
 * the worker's `shutdownTimeoutMs`) before any module closes its connections, and the
 * process exits 0. Nest's own `enableShutdownHooks` would destroy the domain modules first
 * (global modules are destroyed last) and re-raise the signal (exit 143).
 *
 * @example
 * // apps/worker/src/main.ts
 * runServusWorker(WorkerModule);
 *
 * @publicApi
 */
export async function runServusWorker(root: RootModule): Promise<INestApplicationContext> {
  const logger = new Logger('Servus');
  const app = await NestFactory.createApplicationContext(root);
  let closing = false;
  const shutdown = (signal: string) => {
    // A second signal (Ctrl-C twice, a supervisor that repeats) must not kill the drain halfway; SIGKILL still can.
    if (closing) return logger.warn(`${signal} received again: still finishing in-flight jobs`);
    closing = true;
    logger.log(`${signal} received: finishing in-flight jobs`);
    app
      .get(ServusWorker)
      .drain()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error(`Shutdown failed: ${error}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return app;
}
