import { JobEnqueueError } from 'nestjs-servus';
import { JobRequest } from 'nestjs-servus/async/job-request';
import {
  canBeOutboxJobId,
  outboxEntry,
  withOutboxJobId,
  withOutboxJobIdIfTransactional,
} from 'nestjs-servus/outbox/outbox-entry';

const request: JobRequest = {
  queue: 'default',
  payload: { service: 'reports.generate', args: {}, metadata: { v: 1 } },
  options: { attempts: 3 },
};

describe('outbox entries', () => {
  it('gives a call without a job id an outbox-<uuid>, and keeps the caller’s', () => {
    expect(withOutboxJobId({}).jobId).toMatch(/^outbox-[0-9a-f-]{36}$/);
    expect(withOutboxJobId({ jobId: 'report-42' }).jobId).toBe('report-42');
    expect(outboxEntry('reports.generate', request, { jobId: 'report-42' })).toMatchObject({
      queue: 'default',
      jobId: 'report-42',
      name: 'reports.generate',
      options: { attempts: 3, jobId: 'report-42' },
    });
  });

  it('fixes the job id only of a call with a transaction', () => {
    const direct = { priority: 2 };
    expect(withOutboxJobIdIfTransactional(direct)).toBe(direct);
    const transaction = {};
    expect(withOutboxJobIdIfTransactional({ transaction })).toEqual({
      transaction,
      jobId: expect.stringMatching(/^outbox-[0-9a-f-]{36}$/),
    });
    expect(withOutboxJobIdIfTransactional({ transaction, jobId: 'report-42' }).jobId).toBe('report-42');
  });

  it("refuses a caller's job id in Servus's reserved form (servus-...), which only signed direct jobs have", () => {
    const call = () =>
      outboxEntry('reports.generate', request, { jobId: 'servus-0f8e2a4c-1b7d-4e8a-9c3f-5a6b7c8d9e0f' });
    expect(call).toThrow(JobEnqueueError);
    expect(call).toThrow(
      'Could not enqueue reports.generate: jobId must not start with "servus-": Servus gives such ids to signed jobs sent without the outbox',
    );
  });

  it.each<[unknown, string]>([
    ['1234', 'BullMQ numbers'],
    ['repeat:nightly:1700000000000', 'schedule runs'],
    ['servus-0f8e2a4c-1b7d-4e8a-9c3f-5a6b7c8d9e0f', 'signed direct jobs'],
    ['', 'empty'],
    [42, 'not a string'],
  ])('knows %p can be no outbox row (%s): its lookups skip the database', (jobId) => {
    expect(canBeOutboxJobId(jobId)).toBe(false);
  });

  it.each(['outbox-0f8e2a4c-1b7d-4e8a-9c3f-5a6b7c8d9e0f', 'report-42', '0f8e2a4c-1b7d-4e8a-9c3f-5a6b7c8d9e0f'])(
    'looks %p up in the outbox',
    (jobId) => expect(canBeOutboxJobId(jobId)).toBe(true),
  );
});
