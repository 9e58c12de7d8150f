import { INestApplication, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Service, ServiceBase, ServusExecutor, ServusModule } from 'nestjs-servus';
import { ServusDashboardModule, ServusDashboardOptions } from 'nestjs-servus/dashboard';
import { deletePrefix, REDIS_URL, uniquePrefix, waitForJob } from '../../../../test/support/redis-test-kit';
import { listenLocal } from '../../../../test/support/free-port';
import { BullmqQueues } from '../async/bullmq-queues';

@Service({ name: 'dashboard.sign-up', queue: 'critical' })
class SignUp extends ServiceBase<
  { email: string; password: string; profile: { apiKey: string } },
  { userId: number; accessToken: string }
> {
  async call() {
    return this.success({ userId: 7, accessToken: 'tok-live-123' });
  }
}

@Service({ name: 'dashboard.charge' })
class Charge extends ServiceBase<{ cardNumber: string }, null> {
  call(): never {
    // An exception whose text holds secrets: a driver's URL with its password, and a card number.
    throw new Error('charge failed: postgres://app:db-pw-77@10.0.0.5/pay refused card 4111 1111 1111 1111');
  }
}

@Module({ providers: [SignUp, Charge] })
class SignUpModule {}

/** The dashboard on a real HTTP server and a real Redis: who gets in, and what it shows of a job. */
describe('ServusDashboardModule', () => {
  const prefix = uniquePrefix('dashboard');
  const queues = ['default', 'critical', 'low'];
  const redis = new Redis(REDIS_URL);
  const apps: INestApplication[] = [];

  async function serve(
    dashboard: ServusDashboardOptions,
    worker = false,
  ): Promise<{ app: INestApplication; base: string }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusModule.forRoot({ connection: { url: REDIS_URL }, prefix, queues, worker, logging: false }),
        ServusDashboardModule.forRoot(dashboard),
        SignUpModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    return { app, base: await listenLocal(app) };
  }

  const basic = (username: string, password: string) =>
    `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  describe('without credentials configured', () => {
    let base: string;
    let warn: jest.SpyInstance;

    beforeAll(async () => {
      warn = jest.spyOn(Logger.prototype, 'warn');
      ({ base } = await serve({ auth: { username: 'admin', password: '' } }));
    });
    afterAll(() => warn.mockRestore());

    it('warns at boot, naming the option', () => {
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/admin\/queues refuses every request \(403\): set auth\.username and auth\.password/),
      );
    });

    it.each([
      ['the page', '/admin/queues', undefined],
      ['the API', '/admin/queues/api/queues', undefined],
      ['a static file', '/admin/queues/static/favicon.ico', undefined],
      ['a request with credentials', '/admin/queues/api/queues', basic('admin', '')],
    ])('refuses %s with 403 and says what is missing', async (_, path, authorization) => {
      const response = await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.text()).toMatch(/credentials are not configured.*auth\.username and auth\.password/);
    });
  });

  describe('with credentials', () => {
    let app: INestApplication;
    let base: string;
    const authorization = basic('ops', 's3cret:with-colon');

    beforeAll(async () => {
      ({ app, base } = await serve(
        { auth: { username: 'ops', password: 's3cret:with-colon' }, readOnly: false },
        true,
      ));
    });

    it.each([
      ['no credentials', undefined],
      ['a wrong password', basic('ops', 's3cret')],
      ['a wrong username', basic('root', 's3cret:with-colon')],
      ['a password with a suffix', basic('ops', 's3cret:with-colon!')],
      ['a malformed header', 'Basic !!!'],
      ['another scheme', 'Bearer s3cret:with-colon'],
    ])('answers %s with 401 and a Basic challenge', async (_, value) => {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const response = await fetch(`${base}${path}`, { headers: value ? { authorization: value } : {} });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="Servus dashboard"');
      }
    });

    it('serves the page and the static files to the right credentials', async () => {
      const page = await fetch(`${base}/admin/queues`, { headers: { authorization } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Servus</title>');
      const logo = await fetch(`${base}/admin/queues/static/images/logo.svg`, { headers: { authorization } });
      expect(logo.status).toBe(200);
      expect(logo.headers.get('content-type')).toMatch(/svg/);
      expect((await fetch(`${base}/admin/queues/static/images/logo.svg`)).status).toBe(401);
    });

    it("lists every Servus queue in the board's API", async () => {
      const response = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
      expect(body.queues.map((queue) => queue.name).sort()).toEqual([...queues].sort());
      expect(body.queues.every((queue) => queue.readOnlyMode === false)).toBe(true);
    });

    it('shows a job by its service name, its arguments and result redacted as in the logs', async () => {
      const args = { email: 'ann@example.com', password: 'hunter2', profile: { apiKey: 'k-999' } };
      const { jobId } = await app.get(ServusExecutor).callAsync(SignUp, args);
      await waitForJob(app.get(BullmqQueues).queue('critical'), jobId, ['completed']);

      const response = await fetch(
        `${base}/admin/queues/api/queues?activeQueue=critical&status=completed&page=1&jobsPerPage=10`,
        { headers: { authorization } },
      );
      const body = (await response.json()) as { queues: Array<{ name: string; jobs: any[] }> };
      const job = body.queues.find((queue) => queue.name === 'critical')!.jobs.find((item) => item.id === jobId);
      expect(job).toMatchObject({
        name: 'dashboard.sign-up',
        data: {
          service: 'dashboard.sign-up',
          args: { email: 'ann@example.com', password: '[REDACTED]', profile: { apiKey: '[REDACTED]' } },
        },
        returnValue: { success: true, data: { userId: 7, accessToken: '[REDACTED]' } },
      });
      expect(JSON.stringify(body)).not.toMatch(/hunter2|k-999|tok-live-123/);

      const single = await fetch(`${base}/admin/queues/api/queues/critical/${jobId}`, { headers: { authorization } });
      expect(JSON.stringify(await single.json())).not.toMatch(/hunter2|k-999|tok-live-123/);
      // The job itself keeps its real arguments: only what the board shows is redacted.
      expect((await app.get(BullmqQueues).queue('critical').getJob(jobId))!.data.args.password).toBe('hunter2');
    });

    it('sends no-framing headers on every answer, the login challenge included', async () => {
      for (const headers of [{ authorization }, {}] as Record<string, string>[]) {
        const response = await fetch(`${base}/admin/queues`, { headers });
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      }
    });

    it.each([
      ['a form (urlencoded)', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=x&data=y', /JSON body/],
      ['a text/plain form', { 'content-type': 'text/plain' }, '{"name":"x","data":{}}', /JSON body/],
      ['JSON from another origin', { origin: 'https://evil.example' }, '{"name":"x","data":{}}', /another origin/],
      ['JSON marked cross-site', { 'sec-fetch-site': 'cross-site' }, '{"name":"x","data":{}}', /dashboard page/],
      ['JSON marked same-site', { 'sec-fetch-site': 'same-site' }, '{"name":"x","data":{}}', /dashboard page/],
      [
        'no body, from another origin',
        { origin: 'http://localhost:1', 'content-type': '' },
        undefined,
        /another origin/,
      ],
    ])('refuses a write sent as %s with 403, and nothing changes', async (_, extra, body, reason) => {
      const queue = app.get(BullmqQueues).queue('default');
      const before = await queue.count();
      const response = await fetch(`${base}/admin/queues/api/queues/default/add`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', ...extra },
        body,
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(reason);
      expect(await queue.count()).toBe(before);
    });

    it.each([
      ['with a JSON body', { 'content-type': 'application/json' }, '{}'],
      ["without a body, as the board's own buttons send it", {}, undefined],
    ])(
      "takes a write from the dashboard's own origin %s (Origin and Sec-Fetch-Site as a browser sends them)",
      async (_, extra, body) => {
        const queue = app.get(BullmqQueues).queue('default');
        const response = await fetch(`${base}/admin/queues/api/queues/default/pause`, {
          method: 'PUT',
          headers: { authorization, origin: base, 'sec-fetch-site': 'same-origin', ...extra },
          body,
        });
        expect(response.status).toBe(200);
        expect(await queue.isPaused()).toBe(true);
        await queue.resume();
      },
    );

    it("redacts a failed job's reason and stack trace, and schedules' arguments, as job data", async () => {
      const executor = app.get(ServusExecutor);
      const { jobId } = await executor.callAsync(Charge, { cardNumber: '4242424242424242' }, { attempts: 1 });
      await waitForJob(app.get(BullmqQueues).queue('default'), jobId, ['failed']);
      await executor.schedule(
        SignUp,
        { email: 'cron@example.com', password: 'sched-pw-9', profile: { apiKey: 'k-sched' } },
        {
          id: 'dashboard-nightly',
          cron: '0 3 * * *',
        },
      );
      const shown = await Promise.all(
        [
          `/admin/queues/api/queues?activeQueue=default&status=failed&page=1&jobsPerPage=10`,
          `/admin/queues/api/queues/default/${jobId}`,
          '/admin/queues/api/job-schedulers',
        ].map(async (path) => {
          const response = await fetch(`${base}${path}`, { headers: { authorization } });
          expect(response.status).toBe(200);
          return JSON.stringify(await response.json());
        }),
      );
      expect(shown[1]).toContain('charge failed: postgres://[REDACTED]@10.0.0.5/pay refused card [REDACTED]');
      expect(shown[2]).toContain('cron@example.com');
      for (const text of shown) expect(text).not.toMatch(/db-pw-77|4111 1111|4242424242424242|sched-pw-9|k-sched/);
      await executor.unschedule('dashboard-nightly');
    });

    it("refuses to write redacted values back (the editor starts from the board's redacted copy)", async () => {
      const { jobId } = await app
        .get(ServusExecutor)
        .callAsync(SignUp, { email: 'bo@example.com', password: 'pw-1', profile: { apiKey: 'k-1' } }, { wait: 60_000 });
      const write = (path: string, method: string, body: unknown) =>
        fetch(`${base}/admin/queues/api/queues/critical${path}`, {
          method,
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      const edited = await write(`/${jobId}/update-data`, 'PATCH', {
        jobData: { service: 'dashboard.sign-up', args: { email: 'x', password: '[REDACTED]' } },
      });
      expect(edited.status).toBe(400);
      expect(await edited.json()).toMatchObject({ message: expect.stringContaining('cannot write them back') });
      const duplicated = await write('/add', 'POST', {
        name: 'dashboard.sign-up',
        data: { service: 'dashboard.sign-up', args: { password: '[REDACTED]' } },
      });
      expect(duplicated.status).toBe(400);
      expect((await app.get(BullmqQueues).queue('critical').getJob(jobId))!.data.args.password).toBe('pw-1');
      expect(await app.get(BullmqQueues).queue('critical').count()).toBe(1);
    });
  });

  it('read-only by default: the board shows the queues and refuses their actions', async () => {
    const { base } = await serve({ auth: { username: 'ops', password: 'pw' }, route: 'ops/jobs' });
    const authorization = basic('ops', 'pw');
    const listed = (await (await fetch(`${base}/ops/jobs/api/queues`, { headers: { authorization } })).json()) as {
      queues: Array<{ readOnlyMode: boolean }>;
    };
    expect(listed.queues).toHaveLength(3);
    expect(listed.queues.every((queue) => queue.readOnlyMode)).toBe(true);
    const paused = await fetch(`${base}/ops/jobs/api/queues/default/pause`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
    });
    expect(paused.status).toBe(405);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization } })).status).toBe(404);
  });

  it('forRootAsync: credentials and readOnly from a factory with injected dependencies', async () => {
    class DashboardSecrets {
      readonly username = 'vault-user';
      async password(): Promise<string> {
        return 'vault-pw';
      }
    }
    @Module({ providers: [DashboardSecrets], exports: [DashboardSecrets] })
    class SecretsModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServusModule.forRoot({ connection: { url: REDIS_URL }, prefix, queues, logging: false }),
        ServusDashboardModule.forRootAsync({
          route: 'ops/async',
          imports: [SecretsModule],
          inject: [DashboardSecrets],
          useFactory: async (secrets: DashboardSecrets) => ({
            auth: { username: secrets.username, password: await secrets.password() },
            readOnly: true,
          }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    const base = await listenLocal(app);
    expect(
      (await fetch(`${base}/ops/async/api/queues`, { headers: { authorization: basic('vault-user', 'wrong') } }))
        .status,
    ).toBe(401);
    const listed = await fetch(`${base}/ops/async/api/queues`, {
      headers: { authorization: basic('vault-user', 'vault-pw') },
    });
    expect(listed.status).toBe(200);
    const { queues: shown } = (await listed.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(shown.map((queue) => [queue.name, queue.readOnlyMode])).toEqual(queues.map((name) => [name, true]));
  });
});
