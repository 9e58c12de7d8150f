import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { AppProcess, ROOT } from '../support/app-process';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis-test-kit';
import { freePort } from '../support/free-port';
import { postReport, reportWhen } from '../support/example-api';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Without the background-networking flags Chromium dials out at start (updates, sync, QUIC probes),
// which this closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(ROOT, 'test', 'artifacts', 'dashboard.png');

/**
 * The queue dashboard as an operator sees it: apps/api and apps/worker as processes, a report
 * generated through the API, then headless Chromium logs in to /admin/queues and finds the job.
 */
describe('the queue dashboard in a browser', () => {
  const prefix = uniquePrefix('dashboard');
  const redis = new Redis(REDIS_URL);
  const credentials = { username: 'ops', password: `pw-${randomBytes(8).toString('hex')}` };
  let api: AppProcess;
  let worker: AppProcess;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      REDIS_URL,
      SERVUS_PREFIX: prefix,
      SERVUS_DASHBOARD_USER: credentials.username,
      SERVUS_DASHBOARD_PASSWORD: credentials.password,
      // Writes on, so the cross-site test shows the origin check itself, not the read-only default.
      SERVUS_DASHBOARD_WRITES: 'true',
    };
    // Settled, not all: whatever did start is kept for afterAll to close, even when another part failed.
    const started = await Promise.allSettled([
      AppProcess.start('apps/api/src/main.ts', { ...env, PORT: String(port) }, /Listening on/).then(
        (app) => (api = app),
      ),
      AppProcess.start('apps/worker/src/main.ts', { ...env, SERVUS_WORKER_HTTP_PORT: '0' }, /Worker consuming/).then(
        (app) => (worker = app),
      ),
      // A plain launch: Playwright gives it a fresh temporary profile, deleted on close.
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).then((launched) => (browser = launched)),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('answers a browser without credentials with 401 and a Basic challenge', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // Chromium answers the challenge by giving up (no credentials to offer): the navigation fails after the 401.
      const challenged = page.waitForResponse(`${base}/admin/queues`);
      await expect(page.goto(`${base}/admin/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      const response = await challenged;
      expect(response.status()).toBe(401);
      expect(await response.headerValue('www-authenticate')).toBe('Basic realm="Servus dashboard"');
      expect(await page.locator('nav').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it("shows the completed reports.generate job of a report, with its arguments, to the operator's credentials", async () => {
    const created = await postReport(base, { userId: 1, from: '2026-11-01', to: '2026-11-30' });
    expect(created.status).toBe(202);
    const { reportId, jobId } = created.body as { reportId: number; jobId: string };
    await reportWhen(base, reportId, (report) => report.status === 'completed', 15_000);

    const context = await browser.newContext({ httpCredentials: credentials, viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const response = await page.goto(`${base}/admin/queues`, { waitUntil: 'domcontentloaded' });
      expect(response!.status()).toBe(200);

      // The sidebar lists the example's queues; open 'default', then its completed jobs.
      const queues = page.locator('nav');
      await queues.getByRole('link', { name: 'default', exact: true }).waitFor();
      expect(await queues.getByRole('link').allInnerTexts()).toEqual(['default', 'critical', 'low']);
      await queues.getByRole('link', { name: 'default', exact: true }).click();
      await page.getByRole('link', { name: 'COMPLETED' }).click();
      await page.waitForURL(/\/admin\/queues\/queue\/default\?status=completed$/);

      const jobLink = page.locator(`a[href$="/queue/default/${jobId}?status=completed"]`);
      await jobLink.waitFor({ timeout: 10_000 });
      // A job id of the caller's own ('report-<id>', given by the example) is shown as it is, without '#' and name.
      // The board may paint the card once before its layout settles (seen on a loaded machine): read until it does.
      const linkText = async () => (await jobLink.innerText()).replace(/\s+/g, ' ').trim();
      for (const until = Date.now() + 10_000; (await linkText()) !== jobId && Date.now() < until;) {
        await page.waitForTimeout(100);
      }
      expect(await linkText()).toBe(jobId);
      const card = page
        .locator('div', { has: jobLink })
        .filter({ has: page.getByRole('tab', { name: 'Data' }) })
        .last();
      await card.getByRole('tab', { name: 'Data' }).click();
      // The Data tab is a JSON tree of what the board's 'data' formatter gave: { jobData: { service, args, metadata }, returnValue }.
      const tree = card.getByRole('tabpanel').getByRole('tree', { name: 'JSON view' });
      await tree
        .getByRole('treeitem')
        .filter({ hasText: /^\s*args:/ })
        .waitFor();
      const items = (await tree.getByRole('treeitem').allInnerTexts()).map((text) => text.replace(/\s+/g, ''));
      expect(items).toContain('service:"reports.generate",');
      expect(items).toContain(`args:{reportId:${reportId}},`);
      expect(items).toContainEqual(
        expect.stringMatching(new RegExp(`^returnValue:\\{success:true,data:\\{reportId:${reportId},userId:1,`)),
      );

      // The board's own buttons still work with writes on: a bodyless PUT from its page, as its pause button sends.
      const paused = await page.evaluate(async () => (await fetch('api/queues/low/pause', { method: 'PUT' })).status);
      expect(paused).toBe(200);
      expect(await page.evaluate(async () => (await fetch('api/queues/low/resume', { method: 'PUT' })).status)).toBe(
        200,
      );

      mkdirSync(join(ROOT, 'test', 'artifacts'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      await context.close();
    }
  });

  it("a page from another origin submits form POSTs with the browser's credentials: refused, no job added", async () => {
    const queue = new Queue('default', { connection: { url: REDIS_URL }, prefix });
    const total = async () => Object.values(await queue.getJobCounts()).reduce((sum, count) => sum + count, 0);
    const action = `${base}/admin/queues/api/queues/default/add`;
    const forms = {
      plain: `<form method="POST" action="${action}" enctype="text/plain"><input name='{"name":"reports.generate","data":{"service":"reports.generate","args":{"reportId":1},"metadata":{"v":1}},"x":"' value='"}'></form>`,
      urlencoded: `<form method="POST" action="${action}"><input name="name" value="reports.generate"></form>`,
    };
    // Another origin, and another site: localhost is not 127.0.0.1.
    const attacker = createServer((request, response) => {
      const form = forms[(request.url ?? '').slice(1) as keyof typeof forms] ?? '';
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><html><body>${form}<script>document.forms[0].submit()</script></body></html>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerBase = `http://localhost:${(attacker.address() as AddressInfo).port}`;
    // The operator's browser holds the dashboard's credentials, as after logging in once.
    const context = await browser.newContext({ httpCredentials: credentials });
    try {
      const before = await total();
      for (const kind of Object.keys(forms)) {
        const page = await context.newPage();
        const posted = page.waitForResponse((response) => response.url() === action, { timeout: 10_000 });
        await page.goto(`${attackerBase}/${kind}`);
        const response = await posted;
        expect({ kind, status: response.status() }).toEqual({ kind, status: 403 });
        expect(await response.text()).toMatch(/write refused: a write needs a JSON body/);
        await page.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await total()).toBe(before);
    } finally {
      await context.close();
      await queue.close();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
  });
});
