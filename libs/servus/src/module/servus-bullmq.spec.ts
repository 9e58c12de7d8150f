import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { ServusModule, ServusModuleOptions } from 'nestjs-servus';
import { connectionFromShared } from '../async/bullmq-interop';
import { QueueNames } from '../async/queue-names';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';

/** The `bullmq` option's wiring and its boot errors; nothing here talks to Redis. */
describe('ServusModule with bullmq', () => {
  const opened: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((moduleRef) => moduleRef.close()));
  });

  async function boot(...imports: DynamicModule[]): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({ imports }).compile();
    opened.push(moduleRef);
    return moduleRef;
  }

  const options = (moduleRef: TestingModule) => moduleRef.get<ServusModuleOptions>(SERVUS_MODULE_OPTIONS);

  it("takes connection and prefix from BullModule.forRoot's config", async () => {
    const moduleRef = await boot(
      BullModule.forRoot({ connection: { host: '10.0.0.9', port: 6390, db: 4 }, prefix: 'app' }),
      ServusModule.forRoot({ bullmq: {}, logging: false }),
    );
    expect(options(moduleRef)).toMatchObject({ connection: { host: '10.0.0.9', port: 6390, db: 4 }, prefix: 'app' });
    expect(moduleRef.get(QueueNames).prefix).toBe('app');
  });

  it("keeps Servus's own prefix when one is given, and 'servus' when BullModule sets none", async () => {
    const given = await boot(
      BullModule.forRoot({ connection: {}, prefix: 'app' }),
      ServusModule.forRoot({ bullmq: {}, prefix: 'jobs', logging: false }),
    );
    expect(given.get(QueueNames).prefix).toBe('jobs');
    const unset = await boot(
      BullModule.forRoot({ connection: undefined as never }),
      ServusModule.forRoot({ bullmq: {}, logging: false }),
    );
    expect(unset.get(QueueNames).prefix).toBe('servus');
    expect(options(unset).connection).toEqual({}); // BullMQ's default Redis, as the app's own queues use
  });

  it('reads the config registered under bullmq.configKey, with forRootAsync on both sides', async () => {
    const moduleRef = await boot(
      BullModule.forRootAsync('jobs-redis', {
        useFactory: () => Promise.resolve({ connection: { port: 6391 }, prefix: 'k' }),
      }),
      ServusModule.forRootAsync({
        bullmq: { configKey: 'jobs-redis' },
        useFactory: () => Promise.resolve({ queues: ['default', 'low'], logging: false }),
      }),
    );
    expect(options(moduleRef)).toMatchObject({ connection: { port: 6391 }, prefix: 'k', queues: ['default', 'low'] });
  });

  it('registers exposed queues under @nestjs/bullmq queue tokens, with the prefix Servus uses', async () => {
    const moduleRef = await boot(
      BullModule.forRoot({ connection: { port: 6399, lazyConnect: true }, prefix: 'app' }),
      ServusModule.forRoot({ bullmq: { exposeQueues: ['low'] }, queues: ['default', 'low'], logging: false }),
    );
    const queue = moduleRef.get<import('bullmq').Queue>(getQueueToken('low'));
    expect(queue.name).toBe('low');
    expect(queue.opts.prefix).toBe('app');
    expect(() => moduleRef.get<unknown>(getQueueToken('default'))).toThrow(); // not exposed
  });

  describe('refuses at boot', () => {
    it('bullmq without a BullModule config, naming the call to add', async () => {
      await expect(boot(ServusModule.forRoot({ bullmq: {}, logging: false }))).rejects.toThrow(
        'ServusModule: bullmq is set but the app has no BullModule config "BULLMQ_CONFIG(default)". Import BullModule.forRoot({ connection }) (or forRootAsync) from @nestjs/bullmq, or give ServusModule a connection instead.',
      );
    });

    it('a configKey BullModule does not have', async () => {
      await expect(
        boot(
          BullModule.forRoot({ connection: {} }),
          ServusModule.forRoot({ bullmq: { configKey: 'other' }, logging: false }),
        ),
      ).rejects.toThrow(
        /no BullModule config "BULLMQ_CONFIG\(other\)"\. Import BullModule\.forRoot\("other", \{ connection \}\)/,
      );
    });

    it('connection and bullmq together', async () => {
      await expect(
        boot(
          BullModule.forRoot({ connection: {} }),
          ServusModule.forRoot({ bullmq: {}, connection: { port: 6379 }, logging: false }),
        ),
      ).rejects.toThrow('ServusModule: give either connection or bullmq, not both');
    });

    it('exposing a queue Servus does not declare', async () => {
      await expect(
        boot(
          BullModule.forRoot({ connection: {} }),
          ServusModule.forRoot({ bullmq: { exposeQueues: ['emails'] }, logging: false }),
        ),
      ).rejects.toThrow(
        'ServusModule: bullmq.exposeQueues lists "emails", which is not one of queues (default); only Servus\'s own queues can be exposed.',
      );
      expect(() => ServusModule.forRoot({ bullmq: { exposeQueues: ['default', 'default'] } })).toThrow(
        'ServusModule: bullmq.exposeQueues lists "default" twice',
      );
    });

    it("bullmq in forRootAsync's factory result, where its token can no longer be injected", async () => {
      await expect(
        boot(
          BullModule.forRoot({ connection: {} }),
          ServusModule.forRootAsync({ useFactory: () => ({ bullmq: {}, logging: false }) }),
        ),
      ).rejects.toThrow('ServusModule.forRootAsync: give bullmq next to useFactory');
    });
  });

  it('loads @nestjs/bullmq only when the bullmq option is used', () => {
    const loaded = jest.fn();
    jest.isolateModules(() => {
      jest.doMock('@nestjs/bullmq', () => (loaded(), jest.requireActual<object>('@nestjs/bullmq')));
      /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry, loaded here */
      for (const entry of ['nestjs-servus/dashboard', 'nestjs-servus/health', 'nestjs-servus/metrics']) require(entry);
      const servus = require('nestjs-servus') as typeof import('nestjs-servus');
      /* eslint-enable @typescript-eslint/no-require-imports */
      servus.ServusModule.forRoot({ queues: ['default'] });
      servus.ServusModule.forRootAsync({ useFactory: () => ({}) });
      expect(loaded).not.toHaveBeenCalled();
      servus.ServusModule.forRoot({ bullmq: {} });
      expect(loaded).toHaveBeenCalledTimes(1);
    });
  });

  it('says how to install @nestjs/bullmq when the option is used without it', () => {
    jest.isolateModules(() => {
      jest.doMock('@nestjs/bullmq', () => {
        throw Object.assign(new Error("Cannot find module '@nestjs/bullmq'"), { code: 'MODULE_NOT_FOUND' });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry, loaded here
      const servus = require('nestjs-servus') as typeof import('nestjs-servus');
      expect(() => servus.ServusModule.forRoot({ bullmq: {} })).toThrow(
        'ServusModule: the bullmq option takes Redis from @nestjs/bullmq, which is not installed. Install it (npm i @nestjs/bullmq) or give ServusModule a connection instead.',
      );
      expect(() => servus.ServusModule.forRoot({ queues: ['default'] })).not.toThrow();
    });
  });

  it('copies a client given to BullModule by its options (Servus makes its own clients)', () => {
    const client = new Redis({ host: '10.0.0.7', port: 6392, password: 'pw', lazyConnect: true });
    const copied = connectionFromShared(client);
    expect(copied).toMatchObject({ host: '10.0.0.7', port: 6392, password: 'pw' });
    expect(copied).not.toHaveProperty('lazyConnect');
    expect(copied).not.toBe(client.options);
    expect(() => connectionFromShared({ duplicate: () => undefined, connect: () => undefined })).toThrow(
      'ServusModule: the connection in BullModule.forRoot is a Redis client Servus cannot copy',
    );
    client.disconnect();
  });
});
