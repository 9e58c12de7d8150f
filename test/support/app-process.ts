import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** An app (api, worker) in its own OS process, run from TypeScript by ts-node, as `npm run worker` does. */
export class AppProcess {
  output = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `entry` (relative to the repo root) and resolves once its output matches `ready`. */
  static async start(
    entry: string,
    env: Record<string, string>,
    ready: RegExp,
    timeoutMs = 30_000,
  ): Promise<AppProcess> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', join(ROOT, entry)], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(child);
    await app.waitFor(ready, timeoutMs);
    return app;
  }

  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (pattern.test(this.output)) return resolve();
        if (this.child.exitCode !== null) return reject(new Error(`process exited before ${pattern}:\n${this.output}`));
        if (Date.now() - started > timeoutMs)
          return reject(new Error(`no ${pattern} within ${timeoutMs}ms:\n${this.output}`));
        setTimeout(check, 25);
      };
      check();
    });
  }

  /** Sends a signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** The fixture worker: apps/worker's bootstrap with the test fixture services. */
export const WorkerProcess = {
  start: (env: Record<string, string>, timeoutMs?: number) =>
    AppProcess.start('test/e2e/fixtures/worker.main.ts', env, /Worker consuming/, timeoutMs),
};
export type WorkerProcess = AppProcess;
