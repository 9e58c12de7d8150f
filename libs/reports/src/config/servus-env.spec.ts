import type { DataSource } from 'typeorm';
import { TypeOrmOutboxStore } from 'nestjs-servus';
import { outboxFromEnv, servusOptionsFromEnv, workerHttpFromEnv, workerOptionsFromEnv } from './servus-env';

describe("the example's Servus options from the environment", () => {
  it('REDIS_URL by default; REDIS_CLUSTER_NODES makes it a cluster connection; a malformed node is named', () => {
    expect(servusOptionsFromEnv({}).connection).toEqual({ url: 'redis://127.0.0.1:6379' });
    expect(servusOptionsFromEnv({ REDIS_URL: 'redis://cache:6380' }).connection).toEqual({ url: 'redis://cache:6380' });
    expect(
      servusOptionsFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001', SERVUS_PREFIX: '{servus}' }),
    ).toMatchObject({
      connection: {
        cluster: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-b', port: 7001 },
        ],
      },
      prefix: '{servus}',
    });
    expect(() => servusOptionsFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(
      'REDIS_CLUSTER_NODES must be host:port,host:port, got "10.0.0.1"',
    );
  });

  it('worker settings: queues, numbers checked', () => {
    expect(
      workerOptionsFromEnv({ SERVUS_QUEUES: 'a,b', SERVUS_WORKER_QUEUES: 'b', SERVUS_CONCURRENCY: '4' }).worker,
    ).toMatchObject({ queues: ['b'], concurrency: 4 });
    expect(() => workerOptionsFromEnv({ SERVUS_CONCURRENCY: '0' })).toThrow(
      'SERVUS_CONCURRENCY must be a positive integer, got "0"',
    );
  });

  it("the worker's HTTP listener: 3001 on 127.0.0.1 by default, 0 for a free port, 'off' for none, anything else refused", () => {
    expect(workerHttpFromEnv({})).toEqual({ port: 3001, host: '127.0.0.1' });
    expect(workerHttpFromEnv({ SERVUS_WORKER_HTTP_PORT: '0', SERVUS_WORKER_HTTP_HOST: '0.0.0.0' })).toEqual({
      port: 0,
      host: '0.0.0.0',
    });
    expect(workerHttpFromEnv({ SERVUS_WORKER_HTTP_PORT: 'off' })).toBeUndefined();
    expect(() => workerHttpFromEnv({ SERVUS_WORKER_HTTP_PORT: 'http' })).toThrow(
      `SERVUS_WORKER_HTTP_PORT must be a port number or 'off', got "http"`,
    );
  });

  it("the outbox: the deployment's default relay unless SERVUS_OUTBOX_RELAY says on or off; SERVUS_OUTBOX_BATCH turns it on with that batch", () => {
    const dataSource = {} as DataSource;
    const options = outboxFromEnv(dataSource, {});
    expect(options.store).toBeInstanceOf(TypeOrmOutboxStore);
    expect(options.relay).toBeUndefined();
    expect(outboxFromEnv(dataSource, { SERVUS_OUTBOX_RELAY: 'off' }).relay).toBe(false);
    expect(outboxFromEnv(dataSource, { SERVUS_OUTBOX_RELAY: 'on' }).relay).toBe(true);
    expect(outboxFromEnv(dataSource, { SERVUS_OUTBOX_BATCH: '50' }).relay).toEqual({ batchSize: 50 });
    expect(outboxFromEnv(dataSource, { SERVUS_OUTBOX_RELAY: 'off', SERVUS_OUTBOX_BATCH: '50' }).relay).toBe(false);
    expect(() => outboxFromEnv(dataSource, { SERVUS_OUTBOX_RELAY: 'yes' })).toThrow(
      `SERVUS_OUTBOX_RELAY must be 'on' or 'off', got "yes"`,
    );
    expect(() => outboxFromEnv(dataSource, { SERVUS_OUTBOX_BATCH: '0' })).toThrow(
      'SERVUS_OUTBOX_BATCH must be a positive integer, got "0"',
    );
  });
});
