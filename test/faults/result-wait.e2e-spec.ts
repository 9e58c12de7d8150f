import { Echo } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since, sleep } from '../support/fault-summary';

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
    faultSummary(
      'result() on a fresh QueueEvents',
      `${ROUNDS} x (new module, callAsync, result at once) against a running worker`,
      {
        missedCompletions: missed.length,
        of: ROUNDS,
        ms: since(started),
      },
    );
    expect(missed).toEqual([]);
  }, 120_000);
});

/**
 * Found by the example app's e2e run: `executor.status()` polled while the job finishes read
 * the job (still active, no return value), then its state ('completed'), and threw building
 * the response from the missing return value (a 500 in GET /reports/:id).
 */
describe('faults: status() polled while jobs finish', () => {
  const JOBS = 200;
  let harness: FaultHarness;

  afterAll(async () => {
    await harness?.close();
  });

  it(`never throws and never reports a completed job without its response (${JOBS} jobs, polled until done)`, async () => {
    harness = new FaultHarness('status-poll');
    await harness.startWorker();
    const { executor } = await harness.api();
    const receipts = await executor.callAsyncMany(
      Array.from({ length: JOBS }, (_, n) => ({ service: Echo, args: { n } })),
    );
    const errors: string[] = [];
    let polls = 0;
    const started = performance.now();
    await Promise.all(
      receipts.map(async (receipt) => {
        let lastState = 'never read';
        for (;;) {
          polls++;
          const status = await executor
            .status(receipt)
            .catch((error: Error) => (errors.push(error.message), undefined));
          if (status) lastState = status.state;
          if (status?.state === 'completed') {
            if (status.response?.success !== true) errors.push(`job ${receipt.jobId} completed without its response`);
            return;
          }
          if (errors.length) return;
          if (performance.now() - started > 20_000) {
            errors.push(`job ${receipt.jobId} not completed within 20s (last state ${lastState})`);
            return;
          }
          await sleep(2);
        }
      }),
    );
    faultSummary('status() while jobs finish', `${JOBS} jobs polled with status() until completed`, {
      polls,
      errors: errors.length,
      firstError: errors[0] ?? null,
      ms: since(started),
    });
    expect(errors).toEqual([]);
  }, 60_000);
});
