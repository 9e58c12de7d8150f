import { Job, JobJson, Worker } from 'bullmq';
import { MeasuredJob, MeasuringWorker } from './measuring-worker';

/** What Job.fromJSON reads of its queue, on a MeasuringWorker's prototype (no Redis connection). */
function fakeWorker(maxPayloadBytes: number): MeasuringWorker {
  const worker = Object.create(MeasuringWorker.prototype) as MeasuringWorker;
  return Object.assign(worker, {
    maxPayloadBytes,
    opts: {},
    unreadable: new Map(),
    backend: {},
    qualifiedName: 'bull:q',
    toKey: (key: string) => key,
  });
}

const stored = (data: string): JobJson =>
  ({ id: '1', name: 's', data, opts: {}, progress: 0, attemptsMade: 0 }) as never;

describe('MeasuringWorker', () => {
  it('builds its jobs as MeasuredJobs', () => {
    expect(Reflect.get(fakeWorker(100), 'Job')).toBe(MeasuredJob);
  });

  it("keeps the size of the job's data text as read, and parses it as BullMQ does", () => {
    const text = `{"service":"s","args":"${'é'.repeat(40)}"}`;
    const job = MeasuredJob.fromJSON(fakeWorker(120), stored(text)) as MeasuredJob;
    expect(job).toBeInstanceOf(MeasuredJob);
    expect(job.data).toEqual({ service: 's', args: 'é'.repeat(40) });
    expect(job.storedSize).toEqual({ bytes: 105, exact: true });
    expect((MeasuredJob.fromJSON(fakeWorker(10), stored(text)) as MeasuredJob).storedSize).toEqual({
      bytes: 65,
      exact: false,
    });
  });

  it("measures missing data as the '{}' it is parsed from", () => {
    const job = MeasuredJob.fromJSON(fakeWorker(100), stored('')) as MeasuredJob;
    expect(job.data).toEqual({});
    expect(job.storedSize).toEqual({ bytes: 2, exact: false });
  });

  it('never parses a text longer than the limit: the job carries null data, refused by its size', () => {
    // 20 MB of `[{},...]` takes seconds and hundreds of MB of heap to parse: the length alone decides.
    const text = `{"service":"s","args":[${'{},'.repeat(40)}{}]}`;
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const job = MeasuredJob.fromJSON(fakeWorker(100), stored(text)) as MeasuredJob;
      expect(parse).not.toHaveBeenCalledWith(text);
      expect(job.data).toBeNull();
      expect(job.storedSize).toEqual({ bytes: text.length, exact: false });
      expect(job.unparsable).toBeUndefined();
    } finally {
      parse.mockRestore();
    }
  });

  it.each([
    ['text after the JSON', '{"service":"s","args":{}}\n[Nest] 1 FORGED', 'invalid at position 26'],
    ['a byte order mark before the JSON', '\ufeff{"service":"s","args":{}}', 'it starts with a byte order mark'],
    ['a key missing', '{"service":"s","args":{', 'invalid at position 23'],
    ['text cut short', '{"service":', 'it ends early, at position 11'],
    ['a word', 'not json at all', 'an unexpected character'],
    ['a word after a secret', '{"password":"hunter2","a":x}', 'an unexpected character'],
  ])('builds a job whose data is not JSON (%s) with null data and why, never quoting the text', (_label, text, why) => {
    const job = MeasuredJob.fromJSON(fakeWorker(1000), stored(text)) as MeasuredJob;
    expect(job.data).toBeNull();
    expect(job.storedSize).toEqual({ bytes: text.length, exact: false });
    expect(job.unparsable).toBe(`the job's data is not JSON (${why})`);
  });

  it('leaves a job built for anything but a MeasuringWorker unmeasured (the processor walks its data)', () => {
    const queue = { backend: {}, qualifiedName: 'bull:q', toKey: (key: string) => key };
    const job = MeasuredJob.fromJSON(queue as never, stored('{"service":"s"}')) as MeasuredJob;
    expect(job.data).toEqual({ service: 's' });
    expect(job.storedSize).toBeUndefined();
    expect(job).toBeInstanceOf(Job);
  });

  describe('a job with a repeatJobKey that BullMQ dropped as it handed it over (its next iteration not scheduled)', () => {
    const dropped = (opts: object, more: object = { repeatJobKey: 'a-schedule' }): JobJson => ({
      ...stored('{"service":"s","args":{}}'),
      opts,
      ...more,
    });
    const handOver = (worker: MeasuringWorker, json: JobJson): Promise<Job | undefined> =>
      (
        worker as unknown as { nextJobFromJobData(json: JobJson, id: string, token: string): Promise<Job | undefined> }
      ).nextJobFromJobData(json, '1', 'token-1');
    let bullmq: jest.SpyInstance;
    beforeEach(() => {
      // BullMQ's own hand-over, as when scheduling the next iteration threw: no job.
      bullmq = jest.spyOn(Worker.prototype as never, 'nextJobFromJobData').mockResolvedValue(undefined as never);
    });
    afterEach(() => bullmq.mockRestore());

    it('is handed over, to be failed with why, when its own options cannot be scheduled', async () => {
      const job = (await handOver(fakeWorker(1000), dropped({ attempts: 3 }))) as MeasuredJob;
      expect(job).toBeInstanceOf(MeasuredJob);
      expect(job.token).toBe('token-1');
      expect(job.unparsable).toBe(
        "the job's stored opts has no repeat options, so BullMQ cannot schedule its next iteration",
      );
      // BullMQ 5 hands over the hash's own field name.
      const legacy = (await handOver(fakeWorker(1000), dropped({}, { rjk: 'a-schedule' }))) as MeasuredJob;
      expect(legacy.unparsable).toMatch(/^the job's stored opts has no repeat options/);
    });

    it('is left to come back, as BullMQ leaves it, when its options are sound (Redis refused): its schedule goes on', async () => {
      const worker = fakeWorker(1000);
      const sound = { repeat: { pattern: '0 * * * *', tz: 'UTC', count: 2, offset: null }, attempts: 3 };
      expect(await handOver(worker, dropped(sound))).toBeUndefined();
      expect(await handOver(worker, dropped({ repeat: { every: 60_000 } }))).toBeUndefined();
      expect(worker.takeUnreadable('1')).toBeUndefined();
    });

    it('is left as BullMQ leaves it by a closing worker, and a job without a repeatJobKey is never looked at', async () => {
      const closing = Object.assign(fakeWorker(1000), { closing: Promise.resolve() });
      expect(await handOver(closing, dropped({ attempts: 3 }))).toBeUndefined();
      expect(await handOver(fakeWorker(1000), dropped({ attempts: 3 }, {}))).toBeUndefined();
    });
  });
});
