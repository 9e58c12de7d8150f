import { Logger, LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DEFAULT_REDACT_KEYS } from 'nestjs-servus/extend';
import { AlwaysNotFound, Echo, Explode, FlakyUpstream } from '../e2e/fixtures/fixture-services';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary } from '../support/fault-summary';
import { eventually, waitForJob } from '../support/redis-test-kit';

/**
 * Fault: jobs carry secrets in arguments named like secrets. Whatever the outcome (success,
 * business failure, retryable failure, exception, invalid arguments, unknown service), the
 * worker's real output (every level it prints, debug included) must not contain a secret
 * value, while it does log the arguments (redacted) and their other values.
 */
describe('faults: secrets in job arguments never reach the logs', () => {
  const secrets: string[] = [];
  /** A unique secret value; the test fails if it shows up anywhere in the output. */
  const secret = (name: string) => {
    const value = `S3CRET-${name}-${randomUUID()}`;
    secrets.push(value);
    return value;
  };
  const leaked = (output: string) => secrets.filter((value) => output.includes(value));

  describe('the fixture worker process, default redaction', () => {
    let harness: FaultHarness;
    beforeAll(() => {
      harness = new FaultHarness('secrets');
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('redacts password, token, secret, authorization, apiKey (any case, nested, in arrays) on every outcome', async () => {
      const { executor } = await harness.api();
      const queue = harness.queue();
      const worker = await harness.startWorker();
      const visible = `visible-${randomUUID()}`;
      const echoArgs = {
        visible,
        password: secret('password'),
        token: secret('token'),
        secret: secret('secret'),
        authorization: secret('authorization'),
        apiKey: secret('apiKey'),
        nested: {
          clientSecret: secret('clientSecret'),
          'x-api-key': secret('x-api-key'),
          DB_PASSWORD: secret('DB_PASSWORD'),
          list: [{ accessToken: secret('accessToken') }, { refresh_token: secret('refresh_token') }],
        },
        headers: { Authorization: `Bearer ${secret('bearer')}`, Cookie: secret('cookie') },
      };
      const receipts = [
        await executor.callAsync(Echo, echoArgs as never), // success: debug + log
        await executor.callAsync(AlwaysNotFound, { id: 1, password: secret('not-found-password'), visible } as never), // business failure: warn
        await executor.callAsync(Explode, { id: 2, token: secret('explode-token'), visible } as never, {
          attempts: 2,
          backoff: 10,
        }), // throws: error + stack, retried
        await executor.callAsync(FlakyUpstream, { id: 3, apiKey: secret('flaky-apiKey'), visible } as never, {
          attempts: 2,
          backoff: 10,
        }), // retryable
        await executor.callAsync('fixtures.schedule', {
          id: 4,
          at: '2026-12-24T18:00:00.000Z',
          password: secret('dto-password'),
        }), // DTO strips it; the call line is logged first
      ];
      const metadata = { v: 1 };
      const raw = [
        // Invalid arguments (written raw: callAsync would refuse them): fails at once, logged as an error.
        await queue.add(
          'fixtures.validated',
          {
            service: 'fixtures.validated',
            args: { userId: 'me', kind: 'daily', password: secret('invalid-password') },
            metadata,
          },
          { attempts: 3 },
        ),
        await queue.add(
          'fixtures.nope',
          { service: 'fixtures.nope', args: { token: secret('unknown-service-token') }, metadata },
          { attempts: 3 },
        ),
        // A job whose context (carried keys are shown on every log line of the call) holds a bearer token in a
        // carried key, and secret-named keys the worker does not carry (never restored, so never shown).
        await queue.add(
          'fixtures.echo',
          {
            service: 'fixtures.echo',
            args: { visible },
            metadata: {
              ...metadata,
              context: {
                correlationId: 'ctx-1',
                tenantId: `Bearer ${secret('context-tenant-bearer')}`,
                sessionToken: secret('context-sessionToken'),
                password: secret('context-password'),
              },
            },
          },
          { attempts: 3 },
        ),
      ];
      const jobs = [];
      for (const { jobId } of receipts) jobs.push(await waitForJob(queue, jobId));
      for (const job of raw) jobs.push(await waitForJob(queue, job.id!));
      // The 'failed' event lines come after the job is stored as failed.
      await eventually(
        async () => (worker.output.match(/failed for good/g) ?? []).length >= 4,
        10_000,
        'the failure log lines',
      );
      const states = await Promise.all(jobs.map((job) => job.getState()));
      const levels = ['DEBUG', 'LOG', 'WARN', 'ERROR'].filter((level) =>
        new RegExp(`\\b${level} \\[Servus\\]`).test(worker.output),
      );

      faultSummary(
        'secrets in arguments, fixture worker (default redaction)',
        `${jobs.length} jobs carrying ${secrets.length} secret values`,
        {
          outcomes: states.join(','),
          levelsPrinted: levels,
          outputBytes: worker.output.length,
          redactedMarkers: (worker.output.match(/\[REDACTED\]/g) ?? []).length,
          leakedSecrets: leaked(worker.output).length,
        },
      );
      expect(states).toEqual([
        'completed',
        'completed',
        'failed',
        'failed',
        'completed',
        'failed',
        'failed',
        'completed',
      ]);
      expect(levels).toEqual(['DEBUG', 'LOG', 'WARN', 'ERROR']);
      // The arguments are logged (debug), their other values included: what is missing is redacted, not dropped.
      expect(worker.output).toMatch(
        new RegExp(
          `DEBUG \\[Servus\\] fixtures\\.echo \\(job ${receipts[0].jobId} .*called with .*"visible":"${visible}".*"password":"\\[REDACTED\\]"`,
        ),
      );
      expect(worker.output).toMatch(/"headers":\{"Authorization":"\[REDACTED\]","Cookie":"\[REDACTED\]"\}/);
      expect(worker.output).toMatch(
        /fixtures\.echo \(job \d+ [^)]*\) \[correlationId=ctx-1 tenantId=Bearer \[REDACTED\]\]/,
      );
      expect(worker.output).not.toMatch(/sessionToken=|password=/);
      expect(secrets.length).toBe(21);
      expect(leaked(worker.output)).toEqual([]);
    });
  });

  describe('configured keys, in-process worker with a capturing logger', () => {
    let harness: FaultHarness;
    const lines: string[] = [];
    const capture =
      (level: string) =>
      (message: unknown, ...rest: unknown[]) => {
        lines.push(
          `${level} ${[message, ...rest].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ')}`,
        );
      };
    const logger: LoggerService = {
      log: capture('LOG'),
      error: capture('ERROR'),
      warn: capture('WARN'),
      debug: capture('DEBUG'),
      verbose: capture('VERBOSE'),
      fatal: capture('FATAL'),
    };
    const original = (Logger as unknown as { staticInstanceRef?: LoggerService }).staticInstanceRef;

    beforeAll(() => {
      harness = new FaultHarness('secrets-configured');
    });
    afterAll(async () => {
      await harness?.close();
      Logger.overrideLogger(original ?? false);
    });

    it('redacts the configured keys (added to the defaults) at every level, sync and async', async () => {
      const { executor } = await harness.api({
        worker: { concurrency: 2 },
        logging: { redact: [...DEFAULT_REDACT_KEYS, 'iban', /^pin$/i] },
      });
      // After init: the testing module sets its own logger while compiling.
      Logger.overrideLogger(logger);
      const queue = harness.queue();
      const visible = `visible-${randomUUID()}`;
      const args = (extra: Record<string, unknown>) => ({
        visible,
        iban: secret('iban'),
        PIN: secret('PIN'),
        password: secret('cfg-password'),
        ...extra,
      });

      const sync = await executor.call('fixtures.echo', args({ path: 'sync' }));
      const jobs = await Promise.all([
        executor.callAsync(Echo, args({ id: 1 }) as never),
        executor.callAsync(AlwaysNotFound, args({ id: 2 }) as never),
        executor.callAsync(Explode, args({ id: 3 }) as never, { attempts: 1 }),
      ]);
      for (const { jobId } of jobs) await waitForJob(queue, jobId);
      await eventually(
        async () => lines.some((line) => line.includes('failed for good')),
        10_000,
        'the failure log line',
      );
      const output = lines.join('\n');
      const levels = [...new Set(lines.map((line) => line.split(' ')[0]))];

      faultSummary(
        'secrets in arguments, configured keys (iban, /^pin$/i + defaults)',
        `1 call + ${jobs.length} jobs carrying configured secret keys`,
        {
          callSucceeded: sync.success,
          levelsCaptured: levels,
          lines: lines.length,
          redactedMarkers: (output.match(/\[REDACTED\]/g) ?? []).length,
          leakedSecrets: leaked(output).length,
        },
      );
      expect(sync.success).toBe(true);
      expect(levels).toEqual(expect.arrayContaining(['DEBUG', 'LOG', 'WARN', 'ERROR']));
      expect(output).toMatch(
        new RegExp(`"visible":"${visible}","iban":"\\[REDACTED\\]","PIN":"\\[REDACTED\\]","password":"\\[REDACTED\\]"`),
      );
      expect(secrets.length).toBe(21 + 12);
      expect(leaked(output)).toEqual([]);
    });
  });
});
