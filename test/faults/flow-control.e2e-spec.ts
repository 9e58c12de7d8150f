import { AsyncReceipt, ServusExecutor } from 'nestjs-servus';
import { FlowKeyed, FlowRated, FlowStubborn } from '../e2e/fixtures/flow-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { eventually } from '../support/redis-test-kit';

/**
 * Flow control with two worker processes (concurrency 10 each) on real Redis: per-key
 * concurrency, fairness between keys, a rate limit, and a SIGKILLed worker holding a slot.
 * Every job records its start and end (pid, Date.now()) in Redis; the checks read those.
 */
describe('flow control across two worker processes', () => {
  const LEASE_MS = 3000;
  let harness: FaultHarness;
  let executor: ServusExecutor;

  beforeAll(async () => {
    harness = new FaultHarness('flow');
    ({ executor } = await harness.api());
    const env = { FLOW_LEASE_MS: String(LEASE_MS), SERVUS_CONCURRENCY: '10' };
    await Promise.all([harness.startWorker(env), harness.startWorker(env)]);
  }, 120_000);

  afterAll(async () => {
    await harness?.close();
  });

  type Run = { key: string; n: number; start: number; end: number; pid: number };

  /** Start and end of each job of a service, paired by (key, n). */
  async function runs(service: string): Promise<Run[]> {
    const byJob = new Map<string, Partial<Run>>();
    for (const call of await harness.calls()) {
      if (call.service !== service) continue;
      const { key, n } = call.args as { key: string; n: number };
      const run = byJob.get(`${key}:${n}`) ?? { key, n, pid: call.pid };
      run[call.phase] = call.at;
      byJob.set(`${key}:${n}`, run);
    }
    return [...byJob.values()] as Run[];
  }

  async function enqueue(service: typeof FlowKeyed | typeof FlowRated, key: string, count: number, ms: number) {
    const receipts: AsyncReceipt[] = [];
    for (let from = 0; from < count; from += 500) {
      const items = Array.from({ length: Math.min(500, count - from) }, (_, i) => ({
        service,
        args: { key, n: from + i, ms },
      }));
      receipts.push(...(await executor.callAsyncMany(items)));
    }
    return receipts;
  }

  /** When the lease of the attempt of `jobId` holding a slot of `key` runs out (Redis's clock, ms); 0: none. */
  async function leaseExpiryOf(key: string, jobId: string): Promise<number> {
    const leases = await harness.redis.zrangebyscore(
      `${harness.prefix}:flow:fixtures.flow-keyed:c:${key}`,
      '-inf',
      '+inf',
      'WITHSCORES',
    );
    // Members are attempts: `queue:id:token:starts`.
    const at = leases.findIndex((member, i) => i % 2 === 0 && member.startsWith(`default:${jobId}:`));
    return at < 0 ? 0 : Number(leases[at + 1]);
  }

  /** The largest number of jobs of one key that ran at the same time. */
  function maxOverlap(items: Run[]): number {
    const edges = items.flatMap((run) => [
      [run.start, 1],
      [run.end, -1],
    ]);
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // an end at the same ms as a start comes first
    let running = 0;
    let max = 0;
    for (const [, step] of edges) max = Math.max(max, (running += step));
    return max;
  }

  it('limit 1 per key: 3 keys x 50 jobs of 20 ms never overlap within a key, and the keys run in parallel', async () => {
    const t0 = Date.now();
    for (const key of ['k1', 'k2', 'k3']) await enqueue(FlowKeyed, key, 50, 20);
    await eventually(async () => (await runs('fixtures.flow-keyed')).filter((r) => r.end).length === 150, 60_000);
    const all = (await runs('fixtures.flow-keyed')).filter((run) => ['k1', 'k2', 'k3'].includes(run.key));
    const elapsed = Math.max(...all.map((run) => run.end)) - t0;
    const keys = ['k1', 'k2', 'k3'];
    // What the keys would take one after the other: the sum of each key's own span (first start to last end).
    const spans = keys.map((key) => {
      const own = all.filter((run) => run.key === key);
      return Math.max(...own.map((run) => run.end)) - Math.min(...own.map((run) => run.start));
    });
    const serial = spans.reduce((sum, span) => sum + span, 0);
    const overlapPerKey = Object.fromEntries(
      keys.map((key) => [key, maxOverlap(all.filter((run) => run.key === key))]),
    );
    const pids = new Set(all.map((run) => run.pid));
    faultSummary('flow: limit 1 per key, 3 keys x 50 jobs of 20 ms, two workers', 'nothing (limits)', {
      elapsedMs: elapsed,
      serialMs: serial,
      perKeySpanMs: spans,
      workMs: all.reduce((sum, run) => sum + (run.end - run.start), 0),
      overlapPerKey,
      overlapAcrossKeys: maxOverlap(all),
      workerPids: pids.size,
    });
    expect(overlapPerKey).toEqual({ k1: 1, k2: 1, k3: 1 });
    expect(maxOverlap(all)).toBe(3); // the three keys did run at the same time
    expect(pids.size).toBe(2); // both workers took part
    expect(elapsed).toBeLessThan(serial * 0.6); // about a third of it when the keys run side by side
  }, 90_000);

  it('fairness: key A enqueues 2,000 jobs, then key B 10: all of B finish before A has finished 200', async () => {
    const t0 = performance.now();
    const a = await enqueue(FlowKeyed, 'A', 2000, 20);
    await enqueue(FlowKeyed, 'B', 10, 20);
    const enqueuedMs = since(t0);
    await eventually(
      async () => (await runs('fixtures.flow-keyed')).filter((r) => r.key === 'B' && r.end).length === 10,
      60_000,
    );
    // A job of A waiting in its line: a delayed job (as the dashboard shows it) that has used no attempt.
    const waitingA = await executor.status(a[1500]);
    const all = await runs('fixtures.flow-keyed');
    const lastB = Math.max(...all.filter((run) => run.key === 'B').map((run) => run.end));
    // The second of A to run: taken by a worker together with the first (20 slots took A's first 20 at once), it
    // waited in the line until the first ended, then ran on its first attempt.
    const secondA = all.filter((run) => run.key === 'A' && run.end).sort((x, y) => x.start - y.start)[1].n;
    const ranA = await executor.status(a[secondA]);
    const aDoneBeforeLastB = all.filter((run) => run.key === 'A' && run.end && run.end <= lastB).length;
    faultSummary('flow: fairness, 2,000 jobs of key A then 10 of key B (limit 1 per key, 20 ms each)', 'nothing', {
      enqueuedMs,
      bFinishedAfterMs: since(t0),
      aFinishedWhenLastBFinished: aDoneBeforeLastB,
      overlapA: maxOverlap(all.filter((run) => run.key === 'A' && run.end)),
      job1500OfA: `${waitingA?.state}, attemptsMade ${waitingA?.attemptsMade}`,
      secondOfA: `#${secondA}: ${ranA?.state}, attemptsMade ${ranA?.attemptsMade}`,
    });
    expect(waitingA).toMatchObject({ state: 'delayed', attemptsMade: 0 });
    expect(ranA).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(aDoneBeforeLastB).toBeLessThan(200);
    // The rest of A is not waited for: its remaining jobs are dropped with the prefix.
    await harness
      .queue()
      .obliterate({ force: true })
      .catch(() => undefined);
  }, 90_000);

  it('rate limit 20 per second: 200 jobs take at least 9 s, and no 1-second window holds more than 20 starts', async () => {
    const t0 = performance.now();
    await enqueue(FlowRated, 'all', 200, 0);
    await eventually(async () => (await runs('fixtures.flow-rated')).length === 200, 60_000, '200 starts');
    const starts = (await runs('fixtures.flow-rated')).map((run) => run.start).sort((a, b) => a - b);
    // The busiest window: from each start, the starts within the next 1000 ms (that start included).
    let busiest = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (j < starts.length && starts[j] < starts[i] + 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    const spanMs = starts[starts.length - 1] - starts[0];
    faultSummary('flow: rate limit 20/s, 200 jobs, two workers', 'nothing', {
      firstToLastStartMs: spanMs,
      enqueueToLastStartMs: since(t0),
      busiestOneSecondWindow: busiest,
      pids: new Set((await runs('fixtures.flow-rated')).map((run) => run.pid)).size,
    });
    expect(busiest).toBeLessThanOrEqual(20);
    expect(spanMs).toBeGreaterThanOrEqual(9000);
  }, 90_000);

  it('a job running longer than its lease keeps its slot: the lease is renewed while it runs', async () => {
    // Lease 3 s, jobs of 4.5 s: without renewal the second would start when the first's lease ran out.
    await enqueue(FlowKeyed, 'long', 2, 4500);
    await eventually(
      async () => (await runs('fixtures.flow-keyed')).filter((run) => run.key === 'long' && run.end).length === 2,
      30_000,
      'both long jobs to end',
    );
    const [first, second] = (await runs('fixtures.flow-keyed'))
      .filter((run) => run.key === 'long')
      .sort((a, b) => a.start - b.start);
    faultSummary('flow: jobs of 4.5 s on one key, lease 3 s', 'nothing', {
      firstRanMs: first.end - first.start,
      secondStartedAfterFirstEndedMs: second.start - first.end,
    });
    expect(first.end - first.start).toBeGreaterThan(LEASE_MS);
    expect(second.start).toBeGreaterThanOrEqual(first.end);
  }, 60_000);

  it('a run that outlives its deadline keeps its slot until it really ends: the retry never overlaps it', async () => {
    // Deadline 1 s, a body of 2.5 s that ignores its signal, 2 attempts: attempt 1 ends (retryable timeout) at 1 s
    // while its body runs on; the retry must wait for that body's end, without using an attempt for the wait.
    const [receipt] = await executor.callAsyncMany([
      {
        service: FlowStubborn,
        args: { key: 'S', n: 0, ms: 2500 },
        options: { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
      },
    ]);
    const bodies = async () => {
      const byAttempt = new Map<number, { start?: number; end?: number; pid?: number }>();
      for (const call of await harness.calls()) {
        if (call.service !== 'fixtures.flow-stubborn') continue;
        const { attempt } = call.args as { attempt: number };
        const body = byAttempt.get(attempt) ?? { pid: call.pid };
        body[call.phase] = call.at;
        byAttempt.set(attempt, body);
      }
      return byAttempt;
    };
    await eventually(async () => (await bodies()).get(2)?.end !== undefined, 30_000, 'the second body to end');
    const status = await executor.status(receipt);
    const [first, second] = [(await bodies()).get(1)!, (await bodies()).get(2)!];
    faultSummary('flow: a body that ignores its 1 s deadline (2.5 s), limit 1 per key, 2 attempts', 'nothing', {
      firstBodyMs: first.end! - first.start!,
      secondStartedAfterFirstEndedMs: second.start! - first.end!,
      job: `${status?.state}, attemptsMade ${status?.attemptsMade}`,
    });
    expect(first.end! - first.start!).toBeGreaterThanOrEqual(2500); // the body outlived its deadline
    expect(second.start).toBeGreaterThanOrEqual(first.end!); // the retry waited for it: one run of the key at once
    expect(status).toMatchObject({ state: 'failed', attemptsMade: 2 });
  }, 60_000);

  it('a worker SIGKILLed while it holds a slot: the slot frees within the lease time, and the key runs again', async () => {
    // 6 jobs of 1.5 s on one key: one runs, the others wait in its line (in either worker). The first ends
    // normally; the worker running the second is killed, so the job that takes over is one that parked behind others.
    const receipts = await enqueue(FlowKeyed, 'K', 6, 1500);
    const startedK = async () =>
      (await runs('fixtures.flow-keyed'))
        .filter((run) => run.key === 'K' && run.start)
        .sort((a, b) => a.start - b.start);
    await eventually(async () => (await startedK()).length >= 2, 30_000, 'the second job of K to start');
    const holder = (await startedK())[1];
    const victim = harness.workers.find((worker) => worker.child.pid === holder.pid)!;
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    // The dead worker's lease: its expiry (Redis's clock, ms) is at most a lease after the kill, and nothing renews it.
    const leaseExpiry = await leaseExpiryOf('K', receipts[holder.n].jobId);
    await eventually(async () => (await startedK()).length >= 3, 4 * LEASE_MS, 'another job of K to start');
    const next = (await startedK())[2];
    const resumedAfterMs = next.start - killedAt;
    const timeline = (await startedK()).map(
      (run) => `#${run.n} ${run.start - killedAt}..${run.end ? run.end - killedAt : '-'}`,
    );
    const killedRun = (await runs('fixtures.flow-keyed')).find((run) => run.key === 'K' && run.n === holder.n)!;
    faultSummary('flow: SIGKILL of the worker holding the only slot of a key (lease 3000 ms)', 'SIGKILL', {
      killedJobEnded: killedRun.end !== undefined,
      leaseExpiresAfterKillMs: leaseExpiry - killedAt,
      resumedAfterMs,
      leaseMs: LEASE_MS,
      resumedOnPid: next.pid === holder.pid ? 'the killed one' : 'the other worker',
      timelineFromKillMs: timeline.join(' '),
    });
    expect(killedRun.end).toBeUndefined(); // it was killed mid-job, holding the slot
    expect(next.pid).not.toBe(holder.pid);
    // The slot is not leaked beyond the lease: it runs out at most LEASE_MS after the kill.
    expect(leaseExpiry).toBeGreaterThan(0);
    expect(leaseExpiry - killedAt).toBeLessThanOrEqual(LEASE_MS);
    // Then the head of K's line, delayed to that expiry, runs on the other worker, even when the dead worker had
    // taken its wake-up (the next test forces that case and holds it to the lease + 1 s): the lease, the wake-up's
    // jitter, one look for lost ones, and slack for a loaded machine.
    expect(resumedAfterMs).toBeLessThanOrEqual(LEASE_MS + 2000);
  }, 60_000);

  it('a killed holder that had taken the wake-up of the job waiting for its slot: the key still runs within the lease', async () => {
    // Two idle workers. The first job of M runs long on one of them (H), which then blocks for the queue's next job
    // again at once; the other (N), idle for longer, is first in line for it and takes the second job of M. N's
    // fetch loop asks for its own next job before that second job is parked, so the wake-up of the parked job (a
    // BullMQ delayed job timed to the expiry of H's lease) goes to H, the only worker then waiting. H is killed
    // holding the slot and that wake-up: N must still start the second job once the lease has run out.
    if (harness.workers.filter((worker) => worker.child.exitCode === null && !worker.child.signalCode).length < 2)
      await harness.startWorker({ FLOW_LEASE_MS: String(LEASE_MS), SERVUS_CONCURRENCY: '10' });
    const startedM = async () =>
      (await runs('fixtures.flow-keyed'))
        .filter((run) => run.key === 'M' && run.start)
        .sort((a, b) => a.start - b.start);
    const [first] = await enqueue(FlowKeyed, 'M', 1, 60_000);
    await eventually(async () => (await startedM()).length === 1, 30_000, 'the first job of M to start');
    const holder = (await startedM())[0];
    const [second] = await executor.callAsyncMany([{ service: FlowKeyed, args: { key: 'M', n: 1, ms: 0 } }]);
    await eventually(
      async () => (await executor.status(second))?.state === 'delayed',
      10_000,
      'the second job of M to be parked',
    );
    const victim = harness.workers.find((worker) => worker.child.pid === holder.pid)!;
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    const leaseExpiry = await leaseExpiryOf('M', first.jobId);
    await eventually(async () => (await startedM()).length === 2, 15_000, 'the second job of M to start');
    const next = (await startedM())[1];
    faultSummary('flow: SIGKILL of a slot holder that had taken the wake-up marker (lease 3000 ms)', 'SIGKILL', {
      leaseExpiresAfterKillMs: leaseExpiry - killedAt,
      resumedAfterMs: next.start - killedAt,
      resumedOnPid: next.pid === holder.pid ? 'the killed one' : 'the other worker',
    });
    expect(next.pid).not.toBe(holder.pid);
    expect(leaseExpiry - killedAt).toBeLessThanOrEqual(LEASE_MS);
    // The lease, plus the wake-up's jitter and one look of the survivors' watch for overdue delayed jobs.
    expect(next.start - killedAt).toBeLessThanOrEqual(LEASE_MS + 1000);
  }, 60_000);
});
