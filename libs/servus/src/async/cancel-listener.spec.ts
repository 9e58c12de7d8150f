import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { CancelListening, listenForCancellations } from './cancel-listener';
import { MeasuringWorker } from './measuring-worker';
import { RedisClient } from './redis-connection';
import { RunningJob } from './running-job';
import { RunningJobs } from './running-jobs';
import { ServusJobProcessor } from './servus-job.processor';

describe('listenForCancellations', () => {
  /** A listener of a process consuming `default` only; `publish` delivers a message as Redis would. */
  async function listening() {
    const subscriber = Object.assign(new EventEmitter(), {
      subscribe: jest.fn().mockResolvedValue(1),
      ping: jest.fn().mockResolvedValue('PONG'),
    });
    const reader = { eval: jest.fn().mockResolvedValue(-1), hget: jest.fn().mockResolvedValue(null) };
    const running = new RunningJobs();
    const processor = { running, cancel: (queue: string, id: string, why: string) => running.cancel(queue, id, why) };
    const worker = { name: 'default', toKey: (id: string) => `p:default:${id}` };
    await listenForCancellations({
      subscriber: subscriber as unknown as RedisClient,
      reader: reader as unknown as RedisClient,
      channel: 'p:cancel',
      processor: processor as unknown as ServusJobProcessor,
      workers: [worker as unknown as MeasuringWorker],
      logger: { warn: jest.fn() } as unknown as Logger,
    } satisfies CancelListening);
    const publish = (queue: string, jobId: string) =>
      subscriber.emit('message', 'p:cancel', JSON.stringify({ queue, jobId }));
    return { running, reader, publish };
  }

  it('keeps a cancellation for a job starting on a queue it consumes, not for one of another queue', async () => {
    const { running, reader, publish } = await listening();
    const fetched = Date.now();
    publish('default', '7');
    publish('low', '7');
    const [starting, elsewhere] = [
      new RunningJob('7', 'default', 1, 'svc', fetched),
      new RunningJob('7', 'low', 1, 'svc', fetched),
    ];
    running.add(starting);
    running.add(elsewhere);
    expect([starting.cancelled, elsewhere.cancelled]).toEqual(['cancelled by executor.cancel()', undefined]);
    // Only the consumed queue's job has its finished mark looked at, under that queue's key.
    expect(reader.eval).toHaveBeenCalledTimes(1);
    expect(reader.eval).toHaveBeenCalledWith(expect.any(String), 1, 'p:default:7');
  });
});
