import { JobsOptions } from 'bullmq';
import { unschedulableRepeat } from './unschedulable-repeat';

const opts = (value: object) => value as JobsOptions;

describe("unschedulableRepeat: why BullMQ cannot schedule a job's next iteration from its own options", () => {
  it('none for the options a schedule writes: a cron pattern (with a time zone), every, a start date', async () => {
    expect(await unschedulableRepeat(opts({ repeat: { pattern: '0 * * * *', tz: 'Europe/Paris' } }), 's')).toBe(
      undefined,
    );
    expect(await unschedulableRepeat(opts({ repeat: { every: 1000, count: 3 } }), 's')).toBe(undefined);
    // As BullMQ writes a scheduler's next job: its count, offset and limit (Servus's schedules set no dates).
    expect(
      await unschedulableRepeat(
        opts({ repeat: { pattern: '0 * * * *', tz: 'UTC', limit: 5, offset: null, count: 2 } }),
        's',
      ),
    ).toBe(undefined);
    expect(await unschedulableRepeat(opts({ repeat: { pattern: '*/5 * * * *', startDate: Date.now() } }), 's')).toBe(
      undefined,
    );
  });

  it('no repeat options, or not an object', async () => {
    expect(await unschedulableRepeat(opts({ attempts: 3 }), 's')).toBe('has no repeat options');
    expect(await unschedulableRepeat(opts({ repeat: 'hourly' }), 's')).toBe('has no repeat options');
    expect(await unschedulableRepeat(opts({ repeat: null }), 's')).toBe('has no repeat options');
  });

  it('both or neither of pattern and every, immediately with a start date, debounce', async () => {
    expect(await unschedulableRepeat(opts({ repeat: { pattern: '* * * * *', every: 5 } }), 's')).toBe(
      'has both a pattern and every',
    );
    expect(await unschedulableRepeat(opts({ repeat: { limit: 3 } }), 's')).toBe('has neither a pattern nor every');
    expect(await unschedulableRepeat(opts({ repeat: { every: 5, immediately: true, startDate: 1 } }), 's')).toBe(
      'has both immediately and a startDate',
    );
    expect(await unschedulableRepeat(opts({ repeat: { every: 5 }, debounce: { id: 'x' } }), 's')).toBe(
      'has debounce, which BullMQ no longer takes',
    );
  });

  it("a telemetry of null (the next iteration's options could not be encoded)", async () => {
    expect(await unschedulableRepeat(opts({ repeat: { every: 1000 }, telemetry: null }), 's')).toBe(
      'has a telemetry of null',
    );
    expect(await unschedulableRepeat(opts({ repeat: { every: 1000 }, telemetry: { metadata: 'x' } }), 's')).toBe(
      undefined,
    );
  });

  it('a pattern BullMQ cannot read, with its reason escaped; a time zone or start date it cannot read', async () => {
    expect(await unschedulableRepeat(opts({ repeat: { pattern: 'not a cron' } }), 's')).toMatch(
      /^has a pattern, time zone or start date BullMQ cannot read \(.+\)$/,
    );
    expect(await unschedulableRepeat(opts({ repeat: { pattern: '0 * * * *', startDate: 'not a date' } }), 's')).toMatch(
      /^has a pattern, time zone or start date BullMQ cannot read \(.+\)$/,
    );
    expect(await unschedulableRepeat(opts({ repeat: { pattern: '0 * * * *', tz: 'Nowhere/Atlantis' } }), 's')).toMatch(
      /^has a pattern, time zone or start date BullMQ cannot read \(.+\)$/,
    );
  });

  it("reads a pattern with the worker's own repeat strategy, sync or async", async () => {
    const refusing = () => Promise.reject(new Error('no\nline'));
    expect(await unschedulableRepeat(opts({ repeat: { pattern: 'custom' } }), 's', refusing)).toBe(
      'has a pattern, time zone or start date BullMQ cannot read (no\\nline)',
    );
    expect(await unschedulableRepeat(opts({ repeat: { pattern: 'custom' } }), 's', () => 5)).toBe(undefined);
  });
});
