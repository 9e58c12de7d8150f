import { INestApplication, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServusWorker } from './servus-worker';

type RootModule = Parameters<typeof NestFactory.createApplicationContext>[0];

/** Options of `runServusWorker`. */
export interface RunServusWorkerOptions {
  /**
   * Also listen for HTTP (needs @nestjs/platform-express): the root module's controllers answer,
   * e.g. ServusMetricsModule's /metrics and ServusHealthModule's /health. Port 0 picks a free
   * one; `host` defaults to '0.0.0.0' (reachable by an orchestrator's probes).
   */
  http?: { port: number; host?: string };
}

/**
 * Boots a worker deployment (a Nest application context, no HTTP) and shuts it down
 * cleanly on SIGTERM/SIGINT: no job is taken after the signal, in-flight jobs finish (up to
 * the worker's `shutdownTimeoutMs`) before any module closes its connections, and the
 * process exits 0. With `http`, it is an HTTP app too (metrics and health endpoints). Nest's own `enableShutdownHooks` would destroy the domain modules first
 * (global modules are destroyed last) and re-raise the signal (exit 143).
 *
 * @example
 * // apps/worker/src/main.ts
 * runServusWorker(WorkerModule, { http: { port: 3001 } });
 *
 * @publicApi
 */
export async function runServusWorker(
  root: RootModule,
  options: RunServusWorkerOptions = {},
): Promise<INestApplicationContext> {
  const logger = new Logger('Servus');
  const app = options.http ? await NestFactory.create(root) : await NestFactory.createApplicationContext(root);
  if (options.http) {
    const http = app as INestApplication;
    try {
      await http.listen(options.http.port, options.http.host ?? '0.0.0.0');
    } catch (error) {
      // The workers are consuming by now (bootstrap is done): let their jobs finish before failing.
      logger.error(
        `Worker HTTP could not listen on ${options.http.host ?? '0.0.0.0'}:${options.http.port}: ${(error as Error).message}`,
      );
      await app.get(ServusWorker).drain();
      await app.close();
      throw error;
    }
    logger.log(`Worker HTTP listening on ${await http.getUrl()}`);
  }
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
