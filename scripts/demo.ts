import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * `npm run demo`: applies the migration, then runs apps/api (http://127.0.0.1:3000) and
 * apps/worker as two processes, their logs prefixed, until Ctrl-C (which drains the worker).
 * The queue dashboard is at /admin/queues: SERVUS_DASHBOARD_USER / SERVUS_DASHBOARD_PASSWORD,
 * else `admin` and a password made up for this run (printed at start).
 */
const root = join(__dirname, '..');
const tsNode = (entry: string) => [process.execPath, ['-r', 'ts-node/register', join(root, entry)]] as const;

const migrate = spawnSync(...tsNode('libs/reports/src/database/migrate.ts'), { cwd: root, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The api refuses the dashboard without credentials: give the demo some, and say where to use them.
const generated = !process.env.SERVUS_DASHBOARD_PASSWORD;
process.env.SERVUS_DASHBOARD_USER ||= 'admin';
process.env.SERVUS_DASHBOARD_PASSWORD ||= randomBytes(12).toString('base64url');
console.log(
  `Dashboard: http://127.0.0.1:${process.env.PORT || 3000}/admin/queues (user ${process.env.SERVUS_DASHBOARD_USER}, ` +
    `password ${generated ? process.env.SERVUS_DASHBOARD_PASSWORD : 'from SERVUS_DASHBOARD_PASSWORD'})`,
);

const children: ChildProcess[] = [];
for (const [name, entry] of [
  ['api', 'apps/api/src/main.ts'],
  ['worker', 'apps/worker/src/main.ts'],
] as const) {
  // Own process group: a Ctrl-C reaches this script only, which passes one SIGTERM on.
  const child = spawn(...tsNode(entry), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
    detached: true,
  });
  const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${name}] `);
  child.stdout.on('data', (chunk) => process.stdout.write(prefix(chunk)));
  child.stderr.on('data', (chunk) => process.stderr.write(prefix(chunk)));
  child.on('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? `code ${code}`})`);
    stop();
  });
  children.push(child);
}

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  void Promise.all(
    children.map((child) =>
      child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve(),
    ),
  ).then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
