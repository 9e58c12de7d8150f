import { RunningJob } from './running-job';
import { RunningJobs } from './running-jobs';

describe('RunningJobs', () => {
  const job = (id: string, queue: string, startedAt: number) =>
    Object.assign(new RunningJob(id, queue, 1, 'svc'), { startedAt });

  it('finds a job by queue and id: the same id on two queues is two jobs', () => {
    const running = new RunningJobs();
    const [onDefault, onCritical] = [job('1', 'default', 10), job('1', 'critical', 20)];
    running.add(onDefault);
    running.add(onCritical);
    expect(running.find('default', '1')).toBe(onDefault);
    expect(running.find('critical', '1')).toBe(onCritical);
    expect(running.find('low', '1')).toBeUndefined();
    running.delete(onDefault);
    expect(running.find('default', '1')).toBeUndefined();
    expect(running.find('critical', '1')).toBe(onCritical);
  });

  it('the oldest is the job that started first, whatever its queue; none once all ended', () => {
    const running = new RunningJobs();
    const jobs = [job('a', 'default', 30), job('b', 'critical', 20), job('c', 'critical', 40)];
    for (const item of jobs) running.add(item);
    expect(running.oldest()).toBe(jobs[1]);
    running.delete(jobs[1]);
    expect(running.oldest()).toBe(jobs[0]);
    running.delete(jobs[0]);
    running.delete(jobs[2]);
    expect(running.oldest()).toBeUndefined();
  });

  it('labels every job as queue:id', () => {
    const running = new RunningJobs();
    for (const item of [job('7', 'default', 1), job('8', 'default', 2), job('7', 'low', 3)]) running.add(item);
    expect(running.labels()).toEqual(['default:7', 'default:8', 'low:7']);
  });

  it('a cancellation heard before the job was fetched is not kept for it', () => {
    const running = new RunningJobs();
    const now = Date.now();
    running.cancel('default', 'x', 'stop');
    running.cancel('default', 'z', 'stop');
    const [retried, starting] = [
      new RunningJob('x', 'default', 2, 'svc', now + 10_000),
      new RunningJob('z', 'default', 1, 'svc', now - 10_000),
    ];
    for (const item of [retried, starting]) running.add(item);
    expect([retried.cancelled, starting.cancelled]).toEqual([undefined, 'stop']);
  });
});
