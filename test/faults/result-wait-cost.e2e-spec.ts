import { Redis } from 'ioredis';
import { Echo, Slow } from '../e2e/fixtures/fixture-services';
import { AppProcess } from '../support/app-process';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { RedisServer } from '../support/redis-server';

/**
 * What waiting for results costs a process, measured on a redis-server of the test's own:
 * connections (CLIENT LIST), bytes Redis sends (INFO total_net_output_bytes) and warnings.
 * None of it may grow with the number of queues, of waiters, or with the size of the arguments.
 */
describe('faults: the cost of result() and status()', () => {
  let server: RedisServer;
  let harness: FaultHarness;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    harness = new FaultHarness('result-cost', server.url());
    admin = new Redis(server.url());
  });

  afterAll(async () => {
    await admin?.quit().catch(() => undefined);
    await harness?.close();
    await server?.stop();
  });

  const connections = async () =>
    String(await admin.call('CLIENT', 'LIST'))
      .trim()
      .split('\n').length;
  const bytesOut = async () => Number(/total_net_output_bytes:(\d+)/.exec(await admin.info('stats'))![1]);

  it('adds one Redis connection to a worker of 50 queues, whatever the number of queues waited on', async () => {
    const queues = Array.from({ length: 50 }, (_, i) => `q${i}`);
    const { executor } = await harness.api({ queues, worker: { concurrency: 2 } });
    const receipts = await Promise.all(queues.map((queue, i) => executor.callAsync(Echo, { i }, { queue })));
    const booted = await connections(); // the worker's and the producer's, before any wait
    const responses = await Promise.all(receipts.map((receipt) => executor.result(receipt, { timeoutMs: 20_000 })));
    const waited = await connections();
    faultSummary('result() on each of 50 queues of a worker', '50 jobs on 50 queues, result() on each', {
      connectionsBeforeResult: booted,
      connectionsAfterResult: waited,
      added: waited - booted,
      successes: responses.filter((response) => response.success).length,
    });
    expect(responses.every((response) => response.success)).toBe(true);
    expect(waited - booted).toBeLessThanOrEqual(1);
  }, 60_000);

  it('prints no MaxListenersExceededWarning with 100 concurrent result() calls (an api process of its own)', async () => {
    await harness.startWorker({ SERVUS_CONCURRENCY: '50' });
    const started = performance.now();
    // Its own process: Node prints warnings on the real process's stderr, which jest's sandbox does not see.
    const api = await AppProcess.start(
      'test/e2e/fixtures/result-waiters.main.ts',
      harness.workerEnv({ WAITERS: '100' }),
      /waited \d+ successes/,
      60_000,
    );
    await api.stop();
    const warnings = api.output.split('\n').filter((line) => /Warning/.test(line));
    faultSummary('100 concurrent result() calls', '100 waiters at once on one queue, in an api process', {
      waited: /waited (\d+) successes/.exec(api.output)![1],
      warnings: warnings.length,
      firstWarning: warnings[0] ?? null,
      ms: since(started),
    });
    expect(api.output).toContain('waited 100 successes');
    expect(warnings).toEqual([]);
  }, 90_000);

  it('reads no arguments: status() and result() of a job with 400 KB of arguments cost a few KB each', async () => {
    const { executor } = await harness.api();
    const receipt = await executor.callAsync(Slow, { id: 7, ms: 1, blob: 'x'.repeat(400 * 1024) } as never);
    expect((await executor.result(receipt, { timeoutMs: 20_000 })).success).toBe(true);
    const before = await bytesOut();
    for (let i = 0; i < 10; i++) {
      expect((await executor.status(receipt))?.state).toBe('completed');
      expect((await executor.result(receipt, { timeoutMs: 5000 })).toJSON()).toEqual({
        success: true,
        data: { id: 7 },
      });
    }
    const sent = (await bytesOut()) - before;
    faultSummary('status() and result() of a job with 400 KB of arguments', '10 status() + 10 result()', {
      bytesRedisSent: sent,
      perCall: Math.round(sent / 20),
    });
    // Reading the job whole would be 20 x 400 KB; the other clients of this server (the worker) send little meanwhile.
    expect(sent).toBeLessThan(256 * 1024);
  }, 60_000);
});
