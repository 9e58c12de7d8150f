import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { DEFAULT_DATABASE_URL } from '../../libs/reports/src/database/database-options';
import { AppProcess } from '../support/app-process';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { freePort } from '../support/free-port';
import { ApiAnswer, NOVEMBER_REPORT, postReport, reportWhen } from '../support/example-api';

/**
 * The example as deployed: apps/api and apps/worker as two OS processes, real Redis, real
 * PostgreSQL (the api applies the migration at boot).
 */
describe('example app: api + worker processes', () => {
  const prefix = uniquePrefix('example');
  const redis = new Redis(REDIS_URL);
  const db = new Client({ connectionString: process.env.DATABASE_URL || DEFAULT_DATABASE_URL });
  let api: AppProcess;
  let worker: AppProcess;
  let base: string;
  let workerBase: string;

  const http = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  /** An answer without its headers, to compare whole. */
  const plain = ({ status, body }: ApiAnswer) => ({ status, body });

  beforeAll(async () => {
    await db.connect();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { REDIS_URL, SERVUS_PREFIX: prefix, RATES_FAILURES: '2' };
    api = await AppProcess.start('apps/api/src/main.ts', { ...env, PORT: String(port) }, /Listening on/);
    const workerPort = await freePort();
    workerBase = `http://127.0.0.1:${workerPort}`;
    worker = await AppProcess.start(
      'apps/worker/src/main.ts',
      { ...env, SERVUS_WORKER_HTTP_PORT: String(workerPort) },
      /Worker consuming/,
    );
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await deletePrefix(redis, prefix);
    await Promise.all([redis.quit(), db.end()]);
  });

  it('POST /reports answers 202, the worker completes the report, the row holds the totals, the user is notified', async () => {
    const created = await postReport(base, { userId: 1, from: '2026-11-01', to: '2026-11-30' });
    expect(plain(created)).toEqual({
      status: 202,
      body: { reportId: expect.any(Number), jobId: `report-${created.body.reportId}`, status: 'pending' },
    });
    const id = created.body.reportId;

    const report = await reportWhen(base, id, (r) => r.status === 'completed' && r.notifiedAt !== null);
    expect(report).toMatchObject({
      id,
      status: 'completed',
      salesCount: 2,
      totalCents: 11150,
      error: null,
      job: { state: 'completed', attemptsMade: 1 },
    });
    const { rows } = await db.query(
      'SELECT status, sales_count, total_cents, job_id, notified_at FROM reports WHERE id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({
      status: 'completed',
      sales_count: 2,
      total_cents: '11150',
      job_id: created.body.jobId,
    });
    expect(rows[0].notified_at).toBeInstanceOf(Date);
  });

  it("a request's correlation id and tenant travel with its job: the worker's log lines show them", async () => {
    const response = await postReport(
      base,
      { userId: 1, from: '2026-11-01', to: '2026-11-30' },
      { 'x-correlation-id': 'req-7f3a', 'x-tenant-id': 'acme' },
    );
    expect(response.status).toBe(202);
    expect(response.headers.get('x-correlation-id')).toBe('req-7f3a');
    await worker.waitFor(
      /reports\.generate \(job \S+ on default, attempt 1\/3\) \[correlationId=req-7f3a tenantId=acme\] succeeded/,
    );
    await worker.waitFor(
      /reports\.notify \(job \S+ on low, attempt 1\/3\) \[correlationId=req-7f3a tenantId=acme\] succeeded/,
    );
  });

  it('an empty range ends failed with the NotFound message (a business failure: the job completes, no retry)', async () => {
    const created = await postReport(base, { userId: 1, from: '2025-01-01', to: '2025-01-31' });
    // The row is written before the job completes: wait for both.
    const report = await reportWhen(
      base,
      created.body.reportId,
      (r) => r.status !== 'pending' && r.job?.state === 'completed',
    );
    expect(report).toMatchObject({
      status: 'failed',
      error: { code: 'not_found', message: 'No sales for user 1 between 2025-01-01 and 2025-01-31' },
      job: { state: 'completed', attemptsMade: 1 },
    });
  });

  it('the flaky rates upstream: the conversion is retried with backoff, then succeeds', async () => {
    const created = await postReport(base, { userId: 2, from: '2026-11-01', to: '2026-11-30', currency: 'EUR' });
    const report = await reportWhen(base, created.body.reportId, (r) => r.convertedTotalCents !== null);
    expect(report).toMatchObject({
      status: 'completed',
      totalCents: 5000,
      currency: 'EUR',
      convertedTotalCents: 4600,
      conversionAttempts: 3,
    });
    expect(worker.output).toMatch(
      /reports\.convert.*attempt 1\/5.*\n[\s\S]*will retry: ServiceUnavailableError \(service_unavailable\): \[RatesTimeoutError\]/,
    );
  });

  it('a currency without a rate is a plain failure: converted once, not retried', async () => {
    const created = await postReport(base, { userId: 2, from: '2026-11-01', to: '2026-11-30', currency: 'XXX' });
    await reportWhen(base, created.body.reportId, (r) => r.status === 'completed');
    await reportWhen(base, created.body.reportId, (r) => r.conversionAttempts === 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await http('GET', `/reports/${created.body.reportId}`)).body).toMatchObject({
      conversionAttempts: 1,
      convertedTotalCents: null,
    });
  });

  it('POST /reports/preview runs the service now: 200 data, 404 failure, 422 ValidationError with field details', async () => {
    expect(await http('POST', '/reports/preview', { userId: 1, from: '2026-11-01', to: '2026-11-30' })).toEqual({
      status: 200,
      body: { userId: 1, from: '2026-11-01', to: '2026-11-30', salesCount: 2, totalCents: 11150 },
    });
    expect(await http('POST', '/reports/preview', { userId: 9, from: '2026-11-01', to: '2026-11-30' })).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'No sales for user 9 between 2026-11-01 and 2026-11-30' } },
    });
    const invalid = await http('POST', '/reports/preview', { userId: 'me', from: '2026-11-01' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toEqual({
      code: 'unprocessable_entity',
      message: 'Invalid arguments for reports.preview: to is required (required); userId must be integer (type)',
      details: [
        { path: 'to', rule: 'required', message: 'to is required' },
        { path: 'userId', rule: 'type', message: 'userId must be integer' },
      ],
    });
  });

  it('bad requests: an invalid body is a 400 (ValidationPipe), a thrown ServiceError answers its status, an unknown report 404', async () => {
    expect((await postReport(base, { userId: 0, from: 'soon' })).status).toBe(400);
    expect(plain(await postReport(base, { userId: 1, from: '2026-12-01', to: '2026-11-01' }))).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'from (2026-12-01) is after to (2026-11-01)' } },
    });
    expect(await http('GET', '/reports/999999999')).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'Report 999999999 does not exist' } },
    });
  });

  it('the api and the worker each serve /metrics and /health: counts of the calls above, Redis up, the worker consuming', async () => {
    const text = async (url: string) => (await fetch(url)).text();
    const apiMetrics = await text(`${base}/metrics`);
    // Five reports were created above (two in the first tests, the empty range, EUR, XXX); preview ran once each way.
    expect(apiMetrics).toMatch(/^servus_jobs_enqueued_total\{service="reports.generate",queue="default"\} 5$/m);
    expect(apiMetrics).toMatch(
      /^servus_calls_total\{service="reports.preview",queue="",outcome="success",code=""\} 1$/m,
    );
    expect(apiMetrics).toMatch(
      /^servus_calls_total\{service="reports.preview",queue="",outcome="failure",code="not_found"\} 1$/m,
    );
    expect(apiMetrics).toMatch(
      /^servus_calls_total\{service="reports.preview",queue="",outcome="exception",code="ValidationError"\} 1$/m,
    );
    expect(apiMetrics).toMatch(/^servus_queue_jobs\{queue="default",state="completed"\} \d+$/m);

    const workerMetrics = await text(`${workerBase}/metrics`);
    expect(workerMetrics).toMatch(
      /^servus_calls_total\{service="reports.generate",queue="default",outcome="success",code=""\} 4$/m,
    );
    expect(workerMetrics).toMatch(
      /^servus_calls_total\{service="reports.generate",queue="default",outcome="failure",code="not_found"\} 1$/m,
    );
    // RATES_FAILURES=2: the EUR conversion failed twice (retried), then succeeded.
    expect(workerMetrics).toMatch(/^servus_jobs_retried_total\{service="reports.convert",queue="default"\} 2$/m);
    expect(workerMetrics).toMatch(
      /^servus_call_duration_seconds_count\{service="reports.notify",queue="low",outcome="success"\} \d+$/m,
    );

    expect(JSON.parse(await text(`${base}/health`))).toMatchObject({
      status: 'ok',
      details: { redis: { status: 'up' } },
    });
    expect(JSON.parse(await text(`${workerBase}/health`))).toMatchObject({
      status: 'ok',
      details: {
        redis: { status: 'up' },
        worker: { status: 'up', queues: { default: 'consuming', critical: 'consuming', low: 'consuming' } },
      },
    });
  });

  it('a value from outside forges no log line: a property name in a request body, a job id and a correlation id in a job', async () => {
    const forged = (what: string) => `\n[Nest] 4242  - 11/29/2026, 9:00:00 AM     LOG [Servus] FORGED-${what}`;
    const invalid = await http('POST', '/reports/preview', { ...NOVEMBER_REPORT, [`x${forged('property')}`]: 1 });
    expect(invalid.status).toBe(422);
    await api.waitFor(/FORGED-property/);

    // Written raw, as anyone who can write to Redis could: a job whose id and context hold line breaks.
    const queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
    try {
      await queue.add(
        'reports.generate',
        {
          service: 'reports.generate',
          args: { reportId: 999_999_999 },
          metadata: { v: 1, context: { correlationId: `c1${forged('correlation')}\u001b[2K` } },
        },
        { jobId: `j1${forged('job-id')}` },
      );
      await worker.waitFor(/FORGED-correlation/);
      await worker.waitFor(/FORGED-job-id/);
    } finally {
      await queue.close();
    }
    for (const output of [api.output, worker.output]) {
      const lines = output.split('\n');
      expect(lines.filter((line) => line.startsWith('[Nest] 4242'))).toEqual([]);
      expect(output).not.toContain('\u001b[2K');
    }
    expect(api.output).toContain('x\\n[Nest] 4242');
  });

  it("with the api's Redis unreachable, POST /reports still answers 202: the job waits in the outbox, the worker's relay moves it, the report completes", async () => {
    const port = await freePort();
    const down = await AppProcess.start(
      'apps/api/src/main.ts',
      { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, SERVUS_PREFIX: prefix, PORT: String(port) },
      /Listening on/,
    );
    try {
      const started = Date.now();
      const response = await postReport(`http://127.0.0.1:${port}`, {
        userId: 1,
        from: '2026-11-01',
        to: '2026-11-30',
      });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(response.status).toBe(202);
      const id = response.body.reportId;
      expect(response.body).toEqual({ reportId: id, jobId: `report-${id}`, status: 'pending' });
      // The api that answered cannot reach Redis; the worker (same database, same prefix) relays the job.
      const report = await reportWhen(base, id, (r) => r.status === 'completed');
      expect(report).toMatchObject({
        status: 'completed',
        totalCents: 11150,
        job: { id: `report-${id}`, state: 'completed' },
      });
      // Its readiness says why; its liveness does not depend on Redis.
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(503);
      const healthBody = (await health.json()) as any;
      expect(healthBody.error.redis).toEqual({ status: 'down', message: 'Redis did not answer' });
      expect(JSON.stringify(healthBody)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|timed out/);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } finally {
      await down.stop();
    }
  });
});
