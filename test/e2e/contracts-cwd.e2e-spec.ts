import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/app-process';

/** Runs the contracts fixture from `cwd`, as `node dist/main.js` run from another directory would. */
function runFixture(cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', require.resolve('ts-node/register'), join(ROOT, 'test/e2e/fixtures/contracts.main.ts')],
      {
        cwd,
        // ts-node and tsconfig-paths find the repo's tsconfig from here, not from the working directory.
        env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** File-based contracts are found whatever the process's working directory, and a missing one is never silent. */
describe('contracts from schema files, started from another directory', () => {
  let elsewhere: string;
  beforeAll(() => {
    elsewhere = mkdtempSync(join(tmpdir(), 'servus-cwd-'));
  });
  afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

  it('finds a relative schemasDir from the application root: the invalid call is refused', async () => {
    const { code, output } = await runFixture(elsewhere);
    expect(code).toBe(0);
    expect(output).toContain(
      'RESULT {"threw":"ValidationError: Invalid arguments for fixtures.charge: amount must be integer (type)"}',
    );
    // The boot says which services run unvalidated, and where files were looked for.
    expect(output).toContain(
      `1 service(s) run without an arguments contract (not validated): fixtures.free; file schemas are read from ${join(ROOT, 'test/e2e/fixtures/schemas')}`,
    );
  }, 60_000);

  it("contracts: 'required' makes a service without a contract a boot error naming it", async () => {
    const { code, output } = await runFixture(elsewhere, { SERVUS_CONTRACTS: 'required' });
    expect(code).toBe(2);
    expect(output).toMatch(
      /BOOT FAILED ServusModule: contracts: 'required', but 1 service\(s\) have no arguments contract: fixtures\.free \(declare @Service\(\{ arguments \}\) or add .*test\/e2e\/fixtures\/schemas\/<service path>\/arguments\.json\)/,
    );
  }, 60_000);
});
