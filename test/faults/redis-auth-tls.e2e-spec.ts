import { readFileSync, rmSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { JobEnqueueError, ServusModuleOptions } from 'nestjs-servus';
import { createRedisClient } from '../../libs/servus/src/async/redis-connection';
import { Echo } from '../e2e/fixtures/fixture-services';
import { AppProcess } from '../support/app-process';
import { FaultHarness } from '../support/fault-harness';
import { faultSummary, since } from '../support/fault-summary';
import { makeTlsFiles, RedisServer, tlsUnavailable } from '../support/redis-server';

/** The time a callAsync takes to settle, and its error if it failed. */
async function timed(call: Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const started = performance.now();
  try {
    await call;
    return { ms: since(started) };
  } catch (error) {
    return { ms: since(started), error: error as Error };
  }
}

/**
 * Fault: Redis that wants a password, or TLS. The connection options (URL with a password,
 * ioredis `password`, `tls`) must reach every client the library creates: with the right
 * ones a worker process and an api work end to end; with wrong ones callAsync rejects,
 * typed and quickly, naming Redis's answer.
 */
describe('faults: Redis authentication and TLS', () => {
  describe('requirepass', () => {
    const PASSWORD = 's3rvus pass/word';
    let server: RedisServer;
    let harness: FaultHarness;

    beforeAll(async () => {
      server = await RedisServer.start(['--requirepass', PASSWORD]);
      harness = new FaultHarness('auth', server.url(PASSWORD));
    });
    afterAll(async () => {
      await harness?.close();
      await server?.stop();
    });

    it('a worker with the password in REDIS_URL runs jobs end to end; wrong or missing passwords make callAsync reject fast', async () => {
      const worker = await harness.startWorker();
      const { executor } = await harness.api(); // url with the password
      const { executor: byOptions } = await harness.api({
        connection: { host: '127.0.0.1', port: server.port, password: PASSWORD },
      });
      const viaUrl = await executor.result(await executor.callAsync(Echo, { via: 'url' }), { timeoutMs: 10_000 });
      const viaOptions = await byOptions.result(await byOptions.callAsync(Echo, { via: 'options' }), {
        timeoutMs: 10_000,
      });

      // disconnectTimeout: ioredis gives a refused socket 2 s to close on its own after disconnect(); jest would wait for it.
      const { executor: wrong } = await harness.api({
        connection: { url: server.url('not the password'), disconnectTimeout: 100 },
      });
      const { executor: none } = await harness.api({ connection: { url: server.url(), disconnectTimeout: 100 } });
      const wrongAttempt = await timed(wrong.callAsync(Echo, { via: 'wrong password' }));
      const noneAttempt = await timed(none.callAsync(Echo, { via: 'no password' }));
      const wrongAgain = await timed(wrong.callAsync(Echo, { via: 'wrong password, again' }));

      // A worker with the wrong password says so, and never claims to consume.
      // (started by hand: it never prints the "Worker consuming" that WorkerProcess.start waits for)
      const badWorker = await AppProcess.start(
        'test/e2e/fixtures/worker.main.ts',
        harness.workerEnv({ REDIS_URL: server.url('not the password') }),
        /WRONGPASS/,
        15_000,
      );
      harness.workers.push(badWorker);
      // The connection's own warning can come first; the Worker's error event follows (a fixed 500 ms wait was flaky on a loaded machine).
      await badWorker.waitFor(/ERROR \[Servus\] Worker default: WRONGPASS/, 10_000).catch(() => undefined);

      faultSummary(
        'Redis with requirepass',
        `redis-server :${server.port} --requirepass; clients with the right, a wrong and no password`,
        {
          rightPasswordUrl: viaUrl.success,
          rightPasswordOptions: viaOptions.success,
          wrongPassword: `${wrongAttempt.error?.constructor.name} in ${wrongAttempt.ms} ms`,
          wrongPasswordAgain: `${wrongAgain.error?.constructor.name} in ${wrongAgain.ms} ms`,
          noPassword: `${noneAttempt.error?.constructor.name} in ${noneAttempt.ms} ms`,
          workerWithWrongPassword: badWorker.output.includes('Worker consuming')
            ? 'consuming?!'
            : 'logs WRONGPASS, not consuming',
        },
      );
      expect(viaUrl.success && viaUrl.data).toEqual({ via: 'url' });
      expect(viaOptions.success && viaOptions.data).toEqual({ via: 'options' });
      expect((await harness.calls()).map((call) => call.pid)).toEqual([worker.child.pid, worker.child.pid]);
      for (const attempt of [wrongAttempt, wrongAgain]) {
        expect(attempt.error).toBeInstanceOf(JobEnqueueError);
        expect(attempt.error!.message).toMatch(
          /^Could not enqueue fixtures\.echo: Redis did not take the job: WRONGPASS/,
        );
        expect(attempt.ms).toBeLessThan(1000);
      }
      expect(noneAttempt.error).toBeInstanceOf(JobEnqueueError);
      expect(noneAttempt.error!.message).toMatch(
        /^Could not enqueue fixtures\.echo: Redis did not take the job: .*NOAUTH/,
      );
      expect(noneAttempt.ms).toBeLessThan(1000);
      expect(badWorker.output).toMatch(/ERROR \[Servus\] Worker default: WRONGPASS/);
      expect(badWorker.output).not.toContain('Worker consuming');
    });
  });

  describe('tls', () => {
    it('createRedisClient hands the tls options (and the rest) to the ioredis client it makes, for both roles and both forms', () => {
      const tls = { ca: 'CA PEM', servername: 'redis.internal', rejectUnauthorized: true };
      const made = [
        createRedisClient(
          { connection: { host: 'redis.internal', port: 6380, password: 'pw', tls, lazyConnect: true } },
          'producer',
        ),
        createRedisClient(
          { connection: { url: 'rediss://:pw@redis.internal:6380', tls, lazyConnect: true } },
          'worker',
        ),
        createRedisClient({ connection: { url: 'rediss://redis.internal:6380', lazyConnect: true } }, 'producer'),
      ];
      try {
        const [byOptions, byUrl, urlOnly] = made.map((client) => client.options as RedisOptions);
        expect(byOptions).toMatchObject({
          host: 'redis.internal',
          port: 6380,
          password: 'pw',
          tls,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        });
        expect(byUrl).toMatchObject({
          host: 'redis.internal',
          port: 6380,
          password: 'pw',
          tls,
          enableOfflineQueue: true,
          maxRetriesPerRequest: null,
        });
        // rediss:// alone turns TLS on (ioredis's defaults: verify the certificate).
        expect(urlOnly.tls).toBeTruthy();
      } finally {
        made.forEach((client) => client.disconnect());
      }
    });

    const unavailable = tlsUnavailable();
    if (unavailable)
      console.log(`[faults] TLS end to end skipped: ${unavailable}; only the option hand-over above was checked`);
    (unavailable ? it.skip : it)(
      'a TLS-only redis-server: worker and api with the CA work end to end; without the CA, or without TLS, callAsync rejects',
      async () => {
        const tlsFiles = makeTlsFiles();
        const ca = readFileSync(tlsFiles.ca, 'utf8');
        let server: RedisServer | undefined;
        let harness: FaultHarness | undefined;
        try {
          server = await RedisServer.start([], { tls: tlsFiles });
          const tlsHarness = (harness = new FaultHarness('tls', server.url(), { tls: { ca } }));
          // The worker process trusts the test CA through NODE_EXTRA_CA_CERTS; its REDIS_URL is rediss://.
          const worker = await tlsHarness.startWorker({ NODE_EXTRA_CA_CERTS: tlsFiles.ca });
          const { executor } = await tlsHarness.api();
          const response = await executor.result(await executor.callAsync(Echo, { over: 'tls' }), {
            timeoutMs: 10_000,
          });

          const attempt = async (connection: ServusModuleOptions['connection']) => {
            const { executor: client } = await tlsHarness.api({ connection });
            return timed(client.callAsync(Echo, { over: 'nothing' }));
          };
          const untrusted = await attempt({ url: server.url(), disconnectTimeout: 100 }); // TLS, but the CA is not trusted here
          const plain = await attempt({ host: '127.0.0.1', port: server.port, disconnectTimeout: 100 }); // no TLS at all

          faultSummary('Redis over TLS', `redis-server with only a TLS port :${server.port} (test CA)`, {
            withCa: response.success,
            workerPid: worker.child.pid,
            withoutCa: `${untrusted.error?.constructor.name} in ${untrusted.ms} ms: ${untrusted.error?.message}`,
            plainText: `${plain.error?.constructor.name} in ${plain.ms} ms: ${plain.error?.message}`,
          });
          expect(response.success && response.data).toEqual({ over: 'tls' });
          expect((await tlsHarness.calls()).map((call) => call.pid)).toEqual([worker.child.pid]);
          expect(untrusted.error).toBeInstanceOf(JobEnqueueError);
          expect(untrusted.error!.message).toMatch(/certificate/);
          expect(untrusted.ms).toBeLessThan(2250);
          expect(plain.error).toBeInstanceOf(JobEnqueueError);
          expect(plain.ms).toBeLessThan(2250);
        } finally {
          await harness?.close();
          await server?.stop();
          rmSync(tlsFiles.dir, { recursive: true, force: true });
        }
      },
    );
  });
});
