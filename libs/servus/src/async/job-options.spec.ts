import type { JobsOptions } from 'bullmq';
import { DEFAULT_IDEMPOTENCY_TTL, MAX_PRIORITY } from 'nestjs-servus/async/job-options';
import { buildJobOptions, DEFAULT_JOB_OPTIONS } from './job-options';

describe('buildJobOptions', () => {
  describe('defaults', () => {
    it('retries 3 times in all with exponential backoff, and bounds what Redis keeps', () => {
      const options = buildJobOptions(undefined, undefined, {});
      expect(options.attempts).toBe(3);
      expect(options.backoff).toEqual({ type: 'exponential', delay: 1000 });
      // By age only: a busy queue must not drop a result sooner than a quiet one.
      expect(options.removeOnComplete).toEqual({ age: 24 * 3600 });
      expect(options.removeOnFail).toEqual({ age: 7 * 24 * 3600 });
    });

    it('sets no priority, delay or job id unless asked', () => {
      const options = buildJobOptions(undefined, undefined, {});
      expect(options).not.toHaveProperty('priority');
      expect(options).not.toHaveProperty('delay');
      expect(options).not.toHaveProperty('jobId');
    });

    it('never changes the shared defaults or the given options', () => {
      const moduleDefaults: JobsOptions & { queue?: string } = { attempts: 4, queue: 'x' };
      const jobOptions = { attempts: 6, queue: 'y' };
      buildJobOptions(moduleDefaults, { attempts: 5 }, { attempts: 8, jobOptions });
      expect(DEFAULT_JOB_OPTIONS.attempts).toBe(3);
      expect(moduleDefaults).toEqual({ attempts: 4, queue: 'x' });
      expect(jobOptions).toEqual({ attempts: 6, queue: 'y' });
    });
  });

  describe('precedence: defaults < module < service async < call.jobOptions < call named options', () => {
    const moduleDefaults: JobsOptions = { attempts: 5, backoff: { type: 'fixed', delay: 100 }, removeOnComplete: true };

    it('lets module defaults override the built-in defaults', () => {
      const options = buildJobOptions(moduleDefaults, undefined, {});
      expect(options).toMatchObject({ attempts: 5, backoff: { type: 'fixed', delay: 100 }, removeOnComplete: true });
      expect(options.removeOnFail).toEqual(DEFAULT_JOB_OPTIONS.removeOnFail);
    });

    it("lets the service's async options override module defaults", () => {
      const options = buildJobOptions(moduleDefaults, { attempts: 7, backoff: 500 }, {});
      expect(options).toMatchObject({ attempts: 7, backoff: 500, removeOnComplete: true });
    });

    it('ignores the service options it is not given', () => {
      expect(buildJobOptions(moduleDefaults, { queue: 'low' }, {})).toMatchObject({
        attempts: 5,
        backoff: { type: 'fixed', delay: 100 },
      });
    });

    it("lets the call's jobOptions override the service", () => {
      const options = buildJobOptions(
        moduleDefaults,
        { attempts: 7, backoff: 500 },
        { jobOptions: { attempts: 9, backoff: 50, lifo: true } },
      );
      expect(options).toMatchObject({ attempts: 9, backoff: 50, lifo: true });
    });

    it("lets the call's named options override its jobOptions", () => {
      const options = buildJobOptions(
        moduleDefaults,
        { attempts: 7 },
        {
          attempts: 2,
          backoff: { type: 'exponential', delay: 10 },
          jobId: 'named',
          wait: 1000,
          priority: MAX_PRIORITY,
          jobOptions: { attempts: 9, backoff: 50, jobId: 'raw', delay: 5, priority: 100 },
        },
      );
      expect(options).toMatchObject({
        attempts: 2,
        backoff: { type: 'exponential', delay: 10 },
        jobId: 'named',
        delay: 1000,
        priority: 1,
      });
    });

    it("uses the service's priority when the call names none", () => {
      expect(buildJobOptions(undefined, { priority: 10 }, {}).priority).toBe(MAX_PRIORITY + 1 - 10);
    });

    it("lets the call's priority override the service's", () => {
      expect(buildJobOptions(undefined, { priority: 10 }, { priority: 20 }).priority).toBe(MAX_PRIORITY + 1 - 20);
    });

    it("lets the service's priority override a module default priority (BullMQ scale)", () => {
      expect(buildJobOptions({ priority: 7 }, { priority: MAX_PRIORITY }, {}).priority).toBe(1);
    });

    it("lets a raw BullMQ priority in the call's jobOptions override the service's priority", () => {
      expect(buildJobOptions(undefined, { priority: 10 }, { jobOptions: { priority: 3 } }).priority).toBe(3);
    });
  });

  describe('priority (higher runs first, mapped onto BullMQ where 1 runs first)', () => {
    it.each([
      [1, MAX_PRIORITY],
      [2, MAX_PRIORITY - 1],
      [10, MAX_PRIORITY - 9],
      [MAX_PRIORITY, 1],
    ])('maps priority %p to BullMQ priority %p', (priority, bull) => {
      expect(buildJobOptions(undefined, undefined, { priority }).priority).toBe(bull);
    });

    it('gives a higher Servus priority a lower (earlier) BullMQ priority', () => {
      const high = buildJobOptions(undefined, undefined, { priority: 100 }).priority!;
      const low = buildJobOptions(undefined, undefined, { priority: 5 }).priority!;
      expect(high).toBeLessThan(low);
    });

    it('is 2,097,151 at most', () => {
      expect(MAX_PRIORITY).toBe(2_097_151);
    });

    it.each([0, -1, 1.5, MAX_PRIORITY + 1, NaN])('refuses priority %p with a TypeError', (priority) => {
      expect(() => buildJobOptions(undefined, undefined, { priority })).toThrow(TypeError);
      expect(() => buildJobOptions(undefined, undefined, { priority })).toThrow(
        /priority must be an integer from 1 to 2097151 \(higher runs first\)/,
      );
    });

    it("refuses an invalid priority from the service's options too", () => {
      expect(() => buildJobOptions(undefined, { priority: 0 }, {})).toThrow(TypeError);
    });
  });

  describe('wait and waitUntil', () => {
    afterEach(() => jest.restoreAllMocks());

    it('reads wait as a duration', () => {
      expect(buildJobOptions(undefined, undefined, { wait: '5m' }).delay).toBe(300_000);
      expect(buildJobOptions(undefined, undefined, { wait: '30s' }).delay).toBe(30_000);
      expect(buildJobOptions(undefined, undefined, { wait: 1500 }).delay).toBe(1500);
    });

    it('refuses a wait that is not a duration', () => {
      expect(() => buildJobOptions(undefined, undefined, { wait: 'later' })).toThrow(/"later" is not a duration/);
    });

    it('turns waitUntil into the delay until that time', () => {
      const now = Date.parse('2026-05-01T12:00:00Z');
      jest.spyOn(Date, 'now').mockReturnValue(now);
      expect(buildJobOptions(undefined, undefined, { waitUntil: new Date(now + 90_000) }).delay).toBe(90_000);
    });

    it('turns waitUntil into about the real time left, without a mocked clock', () => {
      const delay = buildJobOptions(undefined, undefined, { waitUntil: new Date(Date.now() + 60_000) }).delay!;
      expect(delay).toBeGreaterThan(59_000);
      expect(delay).toBeLessThanOrEqual(60_000);
    });

    it('runs a waitUntil in the past at once (delay 0)', () => {
      expect(buildJobOptions(undefined, undefined, { waitUntil: new Date(Date.now() - 60_000) }).delay).toBe(0);
    });

    it('refuses an invalid Date or a non-Date waitUntil', () => {
      expect(() => buildJobOptions(undefined, undefined, { waitUntil: new Date('nope') })).toThrow(
        /waitUntil must be a valid Date/,
      );
      expect(() => buildJobOptions(undefined, undefined, { waitUntil: '2026-01-01' as unknown as Date })).toThrow(
        TypeError,
      );
    });

    it('refuses wait and waitUntil together', () => {
      expect(() => buildJobOptions(undefined, undefined, { wait: '5m', waitUntil: new Date() })).toThrow(
        'pass either wait or waitUntil, not both',
      );
    });
  });

  describe('attempts', () => {
    it.each([0, -1, 1.5])('refuses attempts %p from the call', (attempts) => {
      expect(() => buildJobOptions(undefined, undefined, { attempts })).toThrow(
        /attempts must be an integer of at least 1/,
      );
    });

    it('refuses attempts 0 wherever it comes from', () => {
      const message = 'attempts must be an integer of at least 1, got 0';
      expect(() => buildJobOptions({ attempts: 0 }, undefined, {})).toThrow(new TypeError(message));
      expect(() => buildJobOptions(undefined, { attempts: 0 }, {})).toThrow(new TypeError(message));
      expect(() => buildJobOptions(undefined, undefined, { jobOptions: { attempts: 0 } })).toThrow(
        new TypeError(message),
      );
    });

    it('accepts a single attempt (no retry)', () => {
      expect(buildJobOptions(undefined, undefined, { attempts: 1 }).attempts).toBe(1);
    });
  });

  it('never passes a queue key to BullMQ, wherever it was given', () => {
    const options = buildJobOptions(
      { queue: 'm' } as JobsOptions,
      { queue: 'low', attempts: 2 },
      { queue: 'critical', jobOptions: { queue: 'raw' } },
    );
    expect(options).not.toHaveProperty('queue');
  });

  it('passes the jobId through for idempotency', () => {
    expect(buildJobOptions(undefined, undefined, { jobId: 'report-42' }).jobId).toBe('report-42');
  });

  describe('idempotencyKey', () => {
    it('becomes a BullMQ deduplication id kept 24 hours by default', () => {
      const options = buildJobOptions(undefined, undefined, { idempotencyKey: 'order-42' });
      expect(options.deduplication).toEqual({ id: 'order-42', ttl: 24 * 3_600_000 });
      expect(DEFAULT_IDEMPOTENCY_TTL).toBe('24h');
    });

    it.each([
      ['10m', 600_000],
      ['1500', 1500],
      [2000, 2000],
    ])('keeps it for idempotencyTtl %p (%p ms)', (idempotencyTtl, ttl) => {
      const options = buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl });
      expect(options.deduplication).toEqual({ id: 'k', ttl });
    });

    it('sets no deduplication without a key, even with a ttl', () => {
      expect(buildJobOptions(undefined, undefined, {})).not.toHaveProperty('deduplication');
      expect(buildJobOptions(undefined, undefined, { idempotencyTtl: '1h' })).not.toHaveProperty('deduplication');
    });

    it.each<[unknown]>([[''], [42], [null], [{}]])('refuses the key %p with a TypeError', (idempotencyKey) => {
      expect(() => buildJobOptions(undefined, undefined, { idempotencyKey: idempotencyKey as string })).toThrow(
        new TypeError('idempotencyKey must be a non-empty string'),
      );
    });

    // Redis refuses `SET ... PX 0` (or a fraction): the call would fail as if Redis had not taken the job.
    it.each<[number | string]>([[0], ['0ms'], ['0.4ms'], [0.4]])(
      'refuses a ttl under 1 ms (%p) as a caller error, not Redis trouble',
      (idempotencyTtl) => {
        expect(() => buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl })).toThrow(
          new TypeError(`idempotencyTtl must be at least 1ms, got ${JSON.stringify(idempotencyTtl)}`),
        );
      },
    );

    it.each<[number | string]>([[1e14 + 1], [1e21], ['2000000d']])(
      'refuses a ttl over 1e14 ms (%p) as a caller error, not Redis trouble',
      (idempotencyTtl) => {
        expect(() => buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl })).toThrow(
          /^idempotencyTtl must be at most 100000000000000ms, got /,
        );
      },
    );

    it.each<[number | string, number]>([
      [1e14, 1e14],
      [2 ** 31, 2 ** 31],
      ['30d', 30 * 86_400_000],
    ])('takes a ttl of %p (%p ms), past 2^31 - 1 ms', (idempotencyTtl, ttl) => {
      const options = buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl });
      expect(options.deduplication).toEqual({ id: 'k', ttl });
    });

    it('rounds a fractional ttl to whole milliseconds (Redis takes no fraction)', () => {
      const options = buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl: 1500.6 });
      expect(options.deduplication).toEqual({ id: 'k', ttl: 1501 });
    });

    it('refuses a ttl that is not a duration, naming it', () => {
      expect(() => buildJobOptions(undefined, undefined, { idempotencyKey: 'k', idempotencyTtl: 'soon' })).toThrow(
        '"soon" is not a duration',
      );
    });
  });
});
