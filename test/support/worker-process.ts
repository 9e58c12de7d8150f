import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FIXTURE_WORKER = join(ROOT, 'test/e2e/fixtures/worker.main.ts');

/** A worker deployment in its own OS process (ts-node over the real apps/worker bootstrap). */
export class WorkerProcess {
  output = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the fixture worker and resolves once it consumes its queues. */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', FIXTURE_WORKER], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    await worker.waitFor(/Worker consuming/, timeoutMs);
    return worker;
  }

  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (pattern.test(this.output)) return resolve();
        if (this.child.exitCode !== null) return reject(new Error(`worker exited before ${pattern}:\n${this.output}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`no ${pattern} within ${timeoutMs}ms:\n${this.output}`));
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

  get exit() {
    return this.exited;
  }
}
