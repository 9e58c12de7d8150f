import { INestApplication, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServusWorker } from './servus-worker';
import { escapeLog } from '../util/escape-log';

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
 * process exits 0. With `http`, it is an HTTP app too (metrics and health endpoints). Nest's
 * own `enableShutdownHooks` would destroy the domain modules first (global modules are
 * destroyed last) and re-raise the signal (exit 143).
 *
 * The handlers are installed before the workers start consuming: a signal during boot is
 * served once the boot is done. An `unhandledRejection` or `uncaughtException` is logged
 * (with the jobs running at that moment), the running jobs are drained, and the process
 * exits 1, for a supervisor to restart it: a process in an unknown state must not keep
 * taking jobs.
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
  // Filled as the boot goes: the handlers below exist before the app does.
  const state: { app?: INestApplicationContext; stopping?: { code: number } } = {};
  const stop = () => {
    const booted = state.app;
    if (!booted) return; // still booting: served when the boot returns
    const drained = booted.get(ServusWorker, { strict: false }).drain();
    drained
      .then(() => booted.close())
      .then(
        () => process.exit(state.stopping?.code ?? 0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${escapeLog(String(error))}`);
          process.exit(1);
        },
      );
  };
  const request = (reason: string, code: number) => {
    // A second signal (Ctrl-C twice, a supervisor that repeats) must not kill the drain halfway; SIGKILL still can.
    if (state.stopping) {
      state.stopping.code = Math.max(state.stopping.code, code);
      return logger.warn(`${reason} again: still finishing in-flight jobs`);
    }
    state.stopping = { code };
    logger.log(`${reason}: finishing in-flight jobs`);
    stop();
  };
  const crash = (kind: string) => (error: unknown) => {
    const jobs = state.app?.get(ServusWorker, { strict: false }).runningJobs() ?? [];
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    logger.error(
      `${kind} (jobs running: ${escapeLog(jobs.join(', ') || 'none')}): ${escapeLog(detail, 4000)}; draining, then exiting with code 1 so a supervisor restarts the worker`,
    );
    request(kind, 1);
  };
  process.on('SIGTERM', () => request('SIGTERM received', 0));
  process.on('SIGINT', () => request('SIGINT received', 0));
  process.on('unhandledRejection', crash('Unhandled rejection'));
  process.on('uncaughtException', crash('Uncaught exception'));
  const app = options.http ? await NestFactory.create(root) : await NestFactory.createApplicationContext(root);
  state.app = app;
  if (state.stopping) {
    stop();
    return app;
  }
  if (options.http) await listen(app as INestApplication, options.http, logger);
  return app;
}

async function listen(
  http: INestApplication,
  { port, host = '0.0.0.0' }: { port: number; host?: string },
  logger: Logger,
) {
  try {
    await http.listen(port, host);
  } catch (error) {
    // The workers are consuming by now (bootstrap is done): let their jobs finish before failing.
    logger.error(`Worker HTTP could not listen on ${host}:${port}: ${(error as Error).message}`);
    await http.get(ServusWorker, { strict: false }).drain();
    await http.close();
    throw error;
  }
  logger.log(`Worker HTTP listening on ${await http.getUrl()}`);
}
