import { ServusModuleOptions } from 'nestjs-servus';
import { assertValidOptions } from 'nestjs-servus/module/servus-options.validation';

describe('assertValidOptions', () => {
  it.each<[string, ServusModuleOptions]>([
    ['no options', {}],
    ['worker: true', { worker: true }],
    [
      '32 carried keys of 64 characters',
      { context: { carry: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(64, 'k')) } },
    ],
    ['the smallest values', { enqueueTimeoutMs: 0.5, worker: { concurrency: 1, lockDurationMs: 0.1 } }],
    [
      'every number and list given',
      {
        enqueueTimeoutMs: 1000,
        queues: ['default', 'low'],
        worker: {
          concurrency: 4,
          lockDurationMs: 30_000,
          stalledIntervalMs: 5000,
          shutdownTimeoutMs: 10_000,
          queues: ['low'],
        },
      },
    ],
  ])('accepts %s and hands the options back', (_label, options) => {
    expect(assertValidOptions(options)).toBe(options);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a zero timeout', { enqueueTimeoutMs: 0 }, 'enqueueTimeoutMs must be a positive number, got 0'],
    ['a negative timeout', { enqueueTimeoutMs: -1 }, 'enqueueTimeoutMs must be a positive number, got -1'],
    ['a NaN timeout', { enqueueTimeoutMs: NaN }, 'enqueueTimeoutMs must be a positive number, got null'],
    ['an infinite timeout', { enqueueTimeoutMs: Infinity }, 'enqueueTimeoutMs must be a positive number, got null'],
    ['a string timeout', { enqueueTimeoutMs: '5' }, 'enqueueTimeoutMs must be a positive number, got "5"'],
    ['a BigInt timeout', { enqueueTimeoutMs: BigInt(5) }, 'enqueueTimeoutMs must be a positive number, got 5n'],
    ['a function timeout', { enqueueTimeoutMs: () => 5 }, 'enqueueTimeoutMs must be a positive number, got () => 5'],
    ['a queue listed twice', { queues: ['a', 'b', 'a'] }, 'queues lists "a" twice'],
    ['concurrency 0', { worker: { concurrency: 0 } }, 'worker.concurrency must be a positive integer, got 0'],
    [
      'a fractional concurrency',
      { worker: { concurrency: 1.5 } },
      'worker.concurrency must be a positive integer, got 1.5',
    ],
    ['a zero lock', { worker: { lockDurationMs: 0 } }, 'worker.lockDurationMs must be a positive number, got 0'],
    [
      'a negative stall check',
      { worker: { stalledIntervalMs: -5 } },
      'worker.stalledIntervalMs must be a positive number, got -5',
    ],
    [
      'a zero shutdown',
      { worker: { shutdownTimeoutMs: 0 } },
      'worker.shutdownTimeoutMs must be a positive number, got 0',
    ],
    ['a worker queue listed twice', { worker: { queues: ['x', 'x'] } }, 'worker.queues lists "x" twice'],
    [
      'a carry that is not a list',
      { context: { carry: 'tenantId' } },
      'context.carry must be an array of key names, got string',
    ],
    [
      'a carried "__proto__"',
      { context: { carry: ['__proto__'] } },
      'context.carry may not name "__proto__" (a prototype key)',
    ],
    [
      'a carried key of 65 characters',
      { context: { carry: ['k'.repeat(65)] } },
      `context.carry[] must be a non-empty string of at most 64 characters, got "${'k'.repeat(65)}"`,
    ],
    [
      'a carried number',
      { context: { carry: [7] } },
      'context.carry[] must be a non-empty string of at most 64 characters, got number',
    ],
  ])('refuses %s, naming the option', (_label, options, message) => {
    expect(() => assertValidOptions(options as ServusModuleOptions)).toThrow(new Error(`ServusModule: ${message}`));
  });
});
