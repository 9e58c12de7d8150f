import { JobSigner } from './job-signer';
import { encodePayload } from './job-payload.codec';

const KEY = { id: 'k1', secret: 'k1-secret-0123456789-0123456789-0123456789' };
const REPLAY = 'a signed job runs only under the id it was signed for';

/** What a worker reads back: the job's data after a trip through Redis. */
const stored = (data: unknown) => JSON.parse(JSON.stringify(data)) as unknown;

describe('JobSigner', () => {
  const signer = new JobSigner({ security: { signingKeys: [KEY] } });
  const payload = encodePayload('shop.charge', { orderId: 7 }, { correlationId: 'c-1' });

  it('binds a job to its id: the same data under any other id is a replay', () => {
    const data = stored(signer.sign('default', payload, { jobId: 'charge-7' }));
    const job = (id: string) => ({ name: 'shop.charge', queueName: 'default', id, data });
    expect((data as { metadata: { jobId?: string } }).metadata.jobId).toBe('charge-7');
    expect(signer.problem(job('charge-7'))).toBeUndefined();
    expect(signer.problem(job('charge-8'))).toBe(`signed for job id "charge-7", not "charge-8": ${REPLAY}`);
    expect(signer.problem(job('1'))).toBe(`signed for job id "charge-7", not "1": ${REPLAY}`);
  });

  it("binds a schedule's template to the ids BullMQ gives that scheduler's runs", () => {
    const data = stored(signer.sign('default', payload, { scheduler: 'nightly' }));
    const problem = (id: string) => signer.problem({ name: 'shop.charge', queueName: 'default', id, data });
    expect(problem('repeat:nightly:1700000000000')).toBeUndefined();
    for (const id of ['nightly', 'repeat:nightly:', 'repeat:nightly:17x', 'repeat:other:1', 'repeat:nightly:a:1'])
      expect(problem(id)).toBe(
        `signed for the runs of schedule "nightly", not for job id ${JSON.stringify(id)}: ${REPLAY}`,
      );
    // Scheduler "a": "repeat:a:1:123" is a run of a scheduler "a:1", never of "a"; nor is a run id without digits.
    const a = stored(signer.sign('default', payload, { scheduler: 'a' }));
    const ofA = (id: string) => signer.problem({ name: 'shop.charge', queueName: 'default', id, data: a });
    expect(ofA('repeat:a:123')).toBeUndefined();
    for (const id of ['repeat:a:1:123', 'repeat:a:', 'repeat:a:12a', 'repeat:a: 12', 'repeat:a:-1', 'repeat:ab:1'])
      expect(ofA(id)).toBe(`signed for the runs of schedule "a", not for job id ${JSON.stringify(id)}: ${REPLAY}`);
    // A scheduler id with ':' in it: its runs, and only its runs.
    const colon = stored(signer.sign('default', payload, { scheduler: 'a:b' }));
    expect(
      signer.problem({ name: 'shop.charge', queueName: 'default', id: 'repeat:a:b:5', data: colon }),
    ).toBeUndefined();
    expect(signer.problem({ name: 'shop.charge', queueName: 'default', id: 'repeat:a:5', data: colon })).toMatch(
      /^signed for the runs of schedule "a:b", not for job id "repeat:a:5"/,
    );
  });

  it('refuses a binding changed after signing, and a signature that binds no id, before anything else is trusted', () => {
    const data = stored(signer.sign('default', payload, { jobId: 'charge-7' })) as {
      metadata: Record<string, unknown>;
    };
    const moved = { ...data, metadata: { ...data.metadata, jobId: 'charge-8' } };
    const toSchedule = { ...data, metadata: { ...data.metadata, jobId: undefined, scheduler: 'x' } };
    const { jobId: _jobId, ...unbound } = data.metadata;
    const job = (value: unknown, id = 'charge-8') => ({ name: 'shop.charge', queueName: 'default', id, data: value });
    expect(signer.problem(job(moved))).toBe(
      'signature does not match: the job was changed after it was signed, or signed with another secret',
    );
    expect(signer.problem(job(stored(toSchedule), 'repeat:x:1'))).toBe(
      'signature does not match: the job was changed after it was signed, or signed with another secret',
    );
    expect(signer.problem(job({ ...data, metadata: unbound }, 'charge-7'))).toBe(
      `the signature binds no job id (signed by an older Servus): ${REPLAY}`,
    );
  });

  it('without keys signs nothing (no binding either) and checks nothing', () => {
    const off = new JobSigner({});
    expect(off.sign('default', payload, { jobId: 'charge-7' })).toBe(payload);
    expect(off.problem({ name: 'x', queueName: 'y', id: 'z', data: {} })).toBeUndefined();
  });
});
