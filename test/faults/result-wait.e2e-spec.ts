import { Echo } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';

/**
 * Found while testing the others: `executor.result()` called right after `callAsync`, in a
 * process that has not waited on that queue before (a new QueueEvents), must not miss a
 * job that completes while its event listener is still starting.
 */
describe('faults: result() right after callAsync, first wait of a process', () => {
  const ROUNDS = 60;
  let harness: FaultHarness;

  afterAll(async () => {
    await harness?.close();
  });

  it(`sees every completion (${ROUNDS} fresh api modules, a job each)`, async () => {
    harness = new FaultHarness('result-wait');
    await harness.startWorker();
    const missed: number[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      // A fresh module: its first result() opens the queue's QueueEvents, as in a new api process.
      const { app, executor } = await harness.api();
      const receipt = await executor.callAsync(Echo, { round });
      const response = await executor.result(receipt, { timeoutMs: 3000 }).catch(() => undefined);
      if (!response?.success) missed.push(round);
      await app.close();
    }
    faultSummary('result() on a fresh QueueEvents', `${ROUNDS} x (new module, callAsync, result at once) against a running worker`, {
      missedCompletions: missed.length,
      of: ROUNDS,
      ms: since(started),
    });
    expect(missed).toEqual([]);
  }, 120_000);
});
