import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A redis-server of the test's own, on a free loopback port, keeping nothing on disk
 * (`--save "" --appendonly no`): a kill loses its data, a restart starts empty. Stop it in
 * afterAll (`stop()`), or jest keeps waiting for the child.
 */
export class RedisServer {
  output = '';
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'servus-redis-'));

  private constructor(
    readonly port: number,
    /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']; reused by restart(). */
    readonly args: string[],
    /** When set, the port speaks TLS only (no plain-text port). */
    readonly tls?: TlsFiles,
  ) {}

  static async start(args: string[] = [], options: { port?: number; tls?: TlsFiles } = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), args, options.tls);
    await server.spawn();
    return server;
  }

  /** redis[s]://[:password@]127.0.0.1:port */
  url(password?: string): string {
    return `${this.tls ? 'rediss' : 'redis'}://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kills the server (SIGKILL: no chance to save, clients see the socket drop) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child!.kill(signal);
    await this.exited;
  }

  /** Starts it again on the same port, with the same arguments (and, as nothing was saved, no data). */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  /** Kills it for good and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawn(timeoutMs = 10_000): Promise<void> {
    const ports = this.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          this.tls.cert,
          '--tls-key-file',
          this.tls.key,
          '--tls-ca-cert-file',
          this.tls.ca,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(this.port)];
    const args = [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    args.push('--dir', this.dir, '--logfile', '', ...this.args);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout.on('data', (chunk) => (this.output += chunk));
    child.stderr.on('data', (chunk) => (this.output += chunk));
    const started = Date.now();
    const mark = this.output.length;
    while (!/Ready to accept connections/.test(this.output.slice(mark))) {
      if (child.exitCode !== null)
        throw new Error(`redis-server on ${this.port} exited at start:\n${this.output.slice(mark)}`);
      if (Date.now() - started > timeoutMs) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on ${this.port} not ready within ${timeoutMs}ms:\n${this.output.slice(mark)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** PEM files of a throwaway CA and a server certificate for 127.0.0.1 signed by it. */
export interface TlsFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** Why a TLS redis-server cannot be run here (a redis-server built without TLS, no openssl CLI), or undefined. */
export function tlsUnavailable(): string | undefined {
  const build = spawnSync('redis-server', ['--port', '0', '--tls-port', '0', '--tls-cert-file', '/nonexistent'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (/Bad directive|not supported|built without/i.test(`${build.stdout}${build.stderr}`))
    return 'redis-server is built without TLS';
  if (spawnSync('openssl', ['version'], { encoding: 'utf8' }).status !== 0)
    return 'no openssl CLI to make certificates';
  return undefined;
}

/** A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) made with the openssl CLI, in a temp dir to remove after. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'servus-tls-'));
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(
    file('ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  const steps = [
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=servus-test-ca',
    ],
    ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1'],
    [
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.pem'),
      '-days',
      '1',
      '-extfile',
      file('ext.cnf'),
    ],
  ];
  for (const step of steps) {
    const result = spawnSync('openssl', step, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${step.join(' ')} failed: ${result.stderr}`);
  }
  return { dir, ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}
