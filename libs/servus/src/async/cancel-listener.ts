import { Logger } from '@nestjs/common';
import { CANCEL_REASON, CANCELLED_FAILURE } from './cancel-mark';
import { RedisClient } from './redis-connection';
import { ServusJobProcessor } from './servus-job.processor';
import { escapeLog } from '../util/escape-log';

/** What the cancellation subscriber needs of its worker. */
export interface CancelListening {
  subscriber: RedisClient;
  /** A connection that is not subscribed (for the marks' reads). */
  reader: RedisClient;
  channel: string;
  processor: ServusJobProcessor;
  /** The Redis key of a job of one of this process's queues (undefined for another queue). */
  jobKey: (queue: string, jobId: string) => string | undefined;
  logger: Logger;
}

/**
 * executor.cancel() of a running job reaches every worker on pub/sub; the one running it aborts its signal. A message
 * published while the subscriber was reconnecting is lost, so each time it is back (ioredis subscribes again), the
 * jobs running here are looked up for the mark cancel() leaves on the job (see cancel-mark.ts).
 */
export async function listenForCancellations(listening: CancelListening): Promise<void> {
  const { subscriber, channel, logger } = listening;
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { queue, jobId } = JSON.parse(message) as { queue?: unknown; jobId?: unknown };
      cancelHere(listening, String(queue), String(jobId));
    } catch (error) {
      logger.warn(`Ignored a malformed cancellation message: ${escapeLog((error as Error).message)}`);
    }
  });
  await subscriber.subscribe(channel);
  subscriber.on('ready', () => void cancelMarked(listening));
}

function cancelHere({ processor, logger }: CancelListening, queue: string, jobId: string): void {
  if (processor.cancel(queue, jobId, CANCEL_REASON))
    logger.warn(`Job ${escapeLog(jobId, 200)} on ${escapeLog(queue, 200)} cancelled`);
}

/** The running jobs cancel() marked meanwhile, cancelled; a read that fails is left (the mark still fails a retry). */
async function cancelMarked(listening: CancelListening): Promise<void> {
  const { subscriber, reader, processor, jobKey } = listening;
  // 'ready' is emitted just before ioredis subscribes again: a PING sent after that is answered after the SUBSCRIBE,
  // so a cancel() published later is heard, and one published earlier has left its mark.
  await Promise.resolve();
  if (
    !(await subscriber.ping().then(
      () => true,
      () => false,
    ))
  )
    return;
  for (const label of processor.runningJobs()) {
    // `queue:id`: a queue name has no ':' (BullMQ refuses one), an id may.
    const split = label.indexOf(':');
    const [queue, jobId] = [label.slice(0, split), label.slice(split + 1)];
    const key = jobKey(queue, jobId);
    const mark = key === undefined ? null : await reader.hget(key, 'defa').catch(() => null);
    if (mark === CANCELLED_FAILURE) cancelHere(listening, queue, jobId);
  }
}
