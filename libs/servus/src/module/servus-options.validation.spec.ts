import { ServusModuleOptions } from 'nestjs-servus/module/servus-options.interface';
import { assertValidOptions, OPTIONS_CHECK } from 'nestjs-servus/module/servus-options.validation';
import { SERVUS_MODULE_OPTIONS } from 'nestjs-servus/servus.constants';

describe('assertValidOptions', () => {
  it.each<[string, ServusModuleOptions]>([
    ['no options', {}],
    ['worker: true', { worker: true }],
    [
      '32 carried keys of 64 characters',
      { context: { carry: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(64, 'k')) } },
    ],
    ['the smallest values', { enqueueTimeoutMs: 0.5, worker: { concurrency: 1, lockDurationMs: 0.1 } }],
    ['logging: false', { logging: false }],
    ['logging without maxArgsLength', { logging: {} }],
    ['contracts optional', { contracts: 'optional' }],
    ['contracts required', { contracts: 'required' }],
    ['a defaultTimeout in milliseconds', { defaultTimeout: 1 }],
    ['a defaultTimeout as a string', { defaultTimeout: '30s' }],
    ['a defaultTimeout that rounds to 1 ms', { defaultTimeout: '0.5' }],
    ['the deepest limits.maxDepth', { limits: { maxDepth: 1000 } }],
    ['limits of 1', { limits: { maxPayloadBytes: 1, maxDepth: 1, maxGlobalIds: 1 } }],
    ['empty limits', { limits: {} }],
    ['worker: false', { worker: false }],
    ['worker.maxStalledCount 0', { worker: { maxStalledCount: 0 } }],
    ['an empty queue list', { queues: [], worker: { queues: [] } }],
    [
      'every number and list given',
      {
        enqueueTimeoutMs: 1000,
        queues: ['default', 'low'],
        logging: { maxArgsLength: 200 },
        contracts: 'required',
        defaultTimeout: '5m',
        limits: { maxPayloadBytes: 1024, maxDepth: 8, maxGlobalIds: 10 },
        worker: {
          maxStalledCount: 2,
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
    [
      'a symbol timeout',
      { enqueueTimeoutMs: Symbol('t') },
      'enqueueTimeoutMs must be a positive number, got Symbol(t)',
    ],
    [
      'a zero maxArgsLength',
      { logging: { maxArgsLength: 0 } },
      'logging.maxArgsLength must be a positive integer, got 0',
    ],
    [
      'a fractional maxArgsLength',
      { logging: { maxArgsLength: 2.5 } },
      'logging.maxArgsLength must be a positive integer, got 2.5',
    ],
    ['an unknown contracts mode', { contracts: 'strict' }, `contracts must be 'optional' or 'required', got "strict"`],
    ['contracts: null', { contracts: null }, `contracts must be 'optional' or 'required', got null`],
    ['a zero defaultTimeout', { defaultTimeout: 0 }, 'defaultTimeout must be a positive duration, got 0'],
    ['a zero defaultTimeout string', { defaultTimeout: '0s' }, 'defaultTimeout must be a positive duration, got "0s"'],
    ['a negative defaultTimeout', { defaultTimeout: -5 }, 'defaultTimeout must be a positive duration, got -5'],
    ['a defaultTimeout in words', { defaultTimeout: 'soon' }, 'defaultTimeout must be a positive duration, got "soon"'],
    ['a NaN defaultTimeout', { defaultTimeout: NaN }, 'defaultTimeout must be a positive duration, got null'],
    [
      'a zero maxPayloadBytes',
      { limits: { maxPayloadBytes: 0 } },
      'limits.maxPayloadBytes must be a positive integer, got 0',
    ],
    [
      'a fractional maxPayloadBytes',
      { limits: { maxPayloadBytes: 1.5 } },
      'limits.maxPayloadBytes must be a positive integer, got 1.5',
    ],
    ['a zero maxDepth', { limits: { maxDepth: 0 } }, 'limits.maxDepth must be a positive integer, got 0'],
    ['a fractional maxDepth', { limits: { maxDepth: 2.5 } }, 'limits.maxDepth must be a positive integer, got 2.5'],
    ['a maxDepth over the ceiling', { limits: { maxDepth: 1001 } }, 'limits.maxDepth may be at most 1000, got 1001'],
    [
      'a negative maxGlobalIds',
      { limits: { maxGlobalIds: -1 } },
      'limits.maxGlobalIds must be a positive integer, got -1',
    ],
    [
      'a fractional maxGlobalIds',
      { limits: { maxGlobalIds: 0.5 } },
      'limits.maxGlobalIds must be a positive integer, got 0.5',
    ],
    [
      'a negative maxStalledCount',
      { worker: { maxStalledCount: -1 } },
      'worker.maxStalledCount must be an integer >= 0, got -1',
    ],
    [
      'a fractional maxStalledCount',
      { worker: { maxStalledCount: 1.5 } },
      'worker.maxStalledCount must be an integer >= 0, got 1.5',
    ],
    [
      'a string maxStalledCount',
      { worker: { maxStalledCount: '2' } },
      'worker.maxStalledCount must be an integer >= 0, got 2',
    ],
  ])('refuses %s, naming the option', (_label, options, message) => {
    expect(() => assertValidOptions(options as ServusModuleOptions)).toThrow(new Error(`ServusModule: ${message}`));
  });

  it('runs as a provider of the resolved options, so forRoot and forRootAsync fail the boot alike', () => {
    expect(OPTIONS_CHECK).toEqual({
      provide: expect.any(Symbol) as symbol,
      useFactory: assertValidOptions,
      inject: [SERVUS_MODULE_OPTIONS],
    });
    expect(String((OPTIONS_CHECK as { provide: symbol }).provide)).toBe('Symbol(servus:options_checked)');
  });
});
