import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AsyncDispatcher } from 'nestjs-servus/execution/async-dispatcher.interface';
import { OutboxMonitor } from 'nestjs-servus/execution/outbox-monitor.port';
import { ServusObservers } from 'nestjs-servus/execution/servus-observers';
import { ServusMetrics } from 'nestjs-servus/metrics/servus-metrics';
import { OutboxRelay } from 'nestjs-servus/outbox/outbox-relay';
import { OutboxStore } from 'nestjs-servus/outbox/outbox-store.interface';
import { BullmqQueues } from 'nestjs-servus/async/bullmq-queues';
import { QueueNames } from 'nestjs-servus/async/queue-names';

/** An error text from outside (a server's reply, a third-party store): a line break, then a terminal color sequence. */
const HOSTILE = 'down\n\x1b[31mFATAL forged line';
const ESCAPED = 'down\\n\\x1b[31mFATAL forged line';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The warnings that carry an error's message: each one line, its controls written as escapes. */
describe('warnings with a hostile error message', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    log.mockRestore();
  });
  const lines = (start: string) =>
    warn.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith(start));

  it('metrics: queue depth and outbox not read', async () => {
    const dispatcher = { jobCounts: () => Promise.reject(new Error(HOSTILE)) } as unknown as AsyncDispatcher;
    const outbox: OutboxMonitor = {
      configured: true,
      stats: () => Promise.reject(new Error(HOSTILE)),
      relayState: () => ({ status: 'off', moved: 0 }),
    };
    const options = { registry: new Registry(), defaultMetrics: false };
    const metrics = new ServusMetrics(options, new ServusObservers(), dispatcher, outbox);
    metrics.onModuleInit();
    try {
      await metrics.registry.metrics();
    } finally {
      metrics.onModuleDestroy();
    }
    for (const start of ['Metrics: queue depth not read', 'Metrics: outbox not read']) {
      expect(lines(start)).toEqual([`${start}: ${ESCAPED}`]);
      expect(lines(start)[0]).not.toMatch(CONTROL);
    }
  });

  it('outbox relay: moving failed', async () => {
    const store = {
      listen: () => Promise.resolve({ close: () => Promise.resolve() }),
      claim: () => Promise.reject(new Error(HOSTILE)),
    } as unknown as OutboxStore;
    const options = { prefix: 'escaped-warnings', outbox: { store, relay: { backoffMs: 10 } } };
    const relay = new OutboxRelay(options, {} as BullmqQueues, new QueueNames(options));
    relay.onApplicationBootstrap();
    try {
      while (!lines('Outbox relay: moving failed').length) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      await relay.onModuleDestroy();
    }
    const [line] = lines('Outbox relay: moving failed');
    expect(line).toBe(`Outbox relay: moving failed, next try in 10ms: ${ESCAPED}`);
    expect(line).not.toMatch(CONTROL);
  });
});
