import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ServusModule } from 'nestjs-servus';
import { ServusTestingModule } from 'nestjs-servus/testing';
import { ServusHealthModule } from 'nestjs-servus/health';
import { listenLocal, silentServer } from '../../../../test/support/free-port';

async function start(
  imports: any[],
): Promise<{ app: INestApplication; get: (path: string) => Promise<{ status: number; body: any }> }> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const base = await listenLocal(app);
  return {
    app,
    get: async (path) => {
      const response = await fetch(base + path);
      return { status: response.status, body: await response.json() };
    },
  };
}

describe('ServusHealthModule', () => {
  it('under ServusTestingModule: ready and live, saying there is no Redis', async () => {
    const { app, get } = await start([ServusTestingModule.forRoot(), ServusHealthModule.forRoot()]);
    try {
      expect(await get('/health')).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { redis: { status: 'up', message: 'no Redis: the async adapter is a test one' } },
        }),
      });
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('Redis hung (accepts, never answers): readiness answers 503 after enqueueTimeoutMs naming Redis, never hangs; liveness 200', async () => {
    const hung = await silentServer();
    const port = hung.port;
    const { app, get } = await start([
      ServusModule.forRoot({ connection: { url: `redis://127.0.0.1:${port}` }, enqueueTimeoutMs: 500, logging: false }),
      ServusHealthModule.forRoot({ path: 'status' }),
    ]);
    try {
      const started = Date.now();
      const ready = await get('/status/ready');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(ready.status).toBe(503);
      // The answer names what is down; the driver's own error (a timeout, the address) is not in it.
      expect(ready.body).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down', message: 'Redis did not answer' } },
      });
      expect(JSON.stringify(ready.body)).not.toMatch(/timed out|127\.0\.0\.1|\d{4,5}/);
      expect((await get('/status/live')).status).toBe(200);
      expect((await get('/health')).status).toBe(404);
    } finally {
      await app.close();
      await hung.stop();
    }
  });

  it('details: true adds the raw error of a failing check to the answer', async () => {
    const hung = await silentServer();
    const { app, get } = await start([
      ServusModule.forRoot({
        connection: { url: `redis://127.0.0.1:${hung.port}` },
        enqueueTimeoutMs: 300,
        logging: false,
      }),
      ServusHealthModule.forRoot({ details: true }),
    ]);
    try {
      const ready = await get('/health');
      expect(ready.status).toBe(503);
      expect(ready.body.error.redis.message).toMatch(/^Redis did not answer: .+/);
    } finally {
      await app.close();
      await hung.stop();
    }
  });
});
