import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AppProcess } from '../support/app-process';
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { freePort } from '../support/free-port';
import { postReport, reportWhen } from '../support/example-api';
import type { SpanLine } from './fixtures/otel-file-exporter';

/**
 * The example api and worker as two OS processes, each with an OpenTelemetry SDK that
 * writes its spans to a file (test/e2e/fixtures/otel-file-exporter.ts, loaded before the
 * app). One POST /reports must make one trace: the api's request and send span, the
 * worker's process and call spans, and the jobs the worker sends in turn.
 */
describe('tracing: one trace spans api -> queue -> worker', () => {
  const prefix = uniquePrefix('tracing');
  const redis = new Redis(REDIS_URL);
  const dir = mkdtempSync(join(tmpdir(), 'servus-spans-'));
  const apiSpans = join(dir, 'api.jsonl');
  const workerSpans = join(dir, 'worker.jsonl');
  let api: AppProcess;
  let worker: AppProcess;
  let base: string;

  const read = (file: string): SpanLine[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as SpanLine)
      : [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { REDIS_URL, SERVUS_PREFIX: prefix };
    const traced = 'test/e2e/fixtures/otel-file-exporter.ts';
    [api, worker] = await Promise.all([
      AppProcess.start(
        traced,
        { ...env, PORT: String(port), TRACED_ENTRY: 'apps/api/src/main.ts', SPANS_FILE: apiSpans },
        /Listening on/,
      ),
      AppProcess.start(
        traced,
        { ...env, TRACED_ENTRY: 'apps/worker/src/main.ts', SPANS_FILE: workerSpans },
        /Worker consuming/,
      ),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await deletePrefix(redis, prefix);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POST /reports: request -> send (api) -> process -> call (worker) -> send/process/call reports.notify, one traceId, two processes', async () => {
    const response = await postReport(base, { userId: 1, from: '2026-11-01', to: '2026-11-30' });
    expect(response.status).toBe(202);
    const { reportId, jobId } = response.body as { reportId: number; jobId: string };
    await reportWhen(base, reportId, (report) => report.status === 'completed' && report.notifiedAt !== null, 20_000);

    // The api's send span, found by the job it sent; its trace is the one to follow.
    let send: SpanLine | undefined;
    await eventually(
      async () =>
        (send = read(apiSpans).find(
          (span) => span.name === 'send reports.generate' && span.attributes['messaging.message.id'] === jobId,
        )) !== undefined,
      5_000,
      'the send span',
    );
    const { traceId } = send!;
    const inTrace = (spans: SpanLine[]) => spans.filter((span) => span.traceId === traceId);
    const expectedInWorker = [
      'process reports.generate',
      'call reports.generate',
      'send reports.notify',
      'process reports.notify',
      'call reports.notify',
    ];
    await eventually(
      async () => expectedInWorker.every((name) => inTrace(read(workerSpans)).some((span) => span.name === name)),
      5_000,
      'the worker spans of the trace',
    );

    const apiTrace = inTrace(read(apiSpans));
    const workerTrace = inTrace(read(workerSpans));
    const only = (spans: SpanLine[], name: string) => {
      const found = spans.filter((span) => span.name === name);
      expect(found.map((span) => span.name)).toEqual([name]);
      return found[0];
    };

    // api: the request is the root; the send span its child, a PRODUCER naming the job.
    const request = only(apiTrace, 'POST /reports');
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.parentSpanId).toBeUndefined();
    expect(send!.parentSpanId).toBe(request.spanId);
    expect(send!).toMatchObject({
      kind: SpanKind.PRODUCER,
      scope: 'nestjs-servus',
      attributes: { 'servus.service': 'reports.generate', 'messaging.destination.name': 'default' },
    });
    // Nothing else of the trace runs in the api (the api only enqueues).
    expect(apiTrace.map((span) => span.name).sort()).toEqual(['POST /reports', 'send reports.generate']);

    // worker: the job continues the api's trace; process is the send span's child, call is process's.
    const processSpan = only(workerTrace, 'process reports.generate');
    expect(processSpan).toMatchObject({
      kind: SpanKind.CONSUMER,
      parentSpanId: send!.spanId,
      attributes: {
        'servus.service': 'reports.generate',
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'default',
        'messaging.message.id': jobId,
        'servus.job.attempt': 1,
      },
    });
    const call = only(workerTrace, 'call reports.generate');
    expect(call).toMatchObject({
      kind: SpanKind.INTERNAL,
      parentSpanId: processSpan.spanId,
      attributes: { 'servus.outcome': 'success' },
      status: { code: SpanStatusCode.UNSET },
    });

    // ...and the job the worker sends on 'report.generated' (@Invoke async) stays in the same trace.
    const notifySend = only(workerTrace, 'send reports.notify');
    expect(notifySend).toMatchObject({
      kind: SpanKind.PRODUCER,
      parentSpanId: call.spanId,
      attributes: { 'messaging.destination.name': 'low' },
    });
    const notifyProcess = only(workerTrace, 'process reports.notify');
    expect(notifyProcess.parentSpanId).toBe(notifySend.spanId);
    expect(only(workerTrace, 'call reports.notify').parentSpanId).toBe(notifyProcess.spanId);

    // Two OS processes, neither of them this one: the trace crossed Redis, not memory.
    const apiPids = new Set(apiTrace.map((span) => span.pid));
    const workerPids = new Set(workerTrace.map((span) => span.pid));
    expect(apiPids).toEqual(new Set([api.child.pid]));
    expect(workerPids).toEqual(new Set([worker.child.pid]));
    expect(api.child.pid).not.toBe(worker.child.pid);
    expect([api.child.pid, worker.child.pid]).not.toContain(process.pid);
  });
});
