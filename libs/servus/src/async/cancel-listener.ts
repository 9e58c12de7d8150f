import { Logger } from '@nestjs/common';
import { CANCEL_REASON, CANCELLED_FAILURE, CLEAR_FINISHED_MARK } from './cancel-mark';
import { MeasuringWorker } from './measuring-worker';
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
  /** This process's workers, one per queue it consumes. */
  workers: MeasuringWorker[];
  logger: Logger;
}

/**
 * executor.cancel() of a running job reaches every worker on pub/sub; the one running it aborts its signal. A message
 * published while the subscriber was reconnecting is lost, so each time it is back (ioredis subscribes again), the
 * jobs running here are looked up for the mark cancel() leaves on the job (see cancel-mark.ts).
 */
export async function listenForCancellations(listening: CancelListening): Promise<void> {
  const { subscriber, channel, logger, processor, workers } = listening;
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { queue, jobId } = JSON.parse(message) as { queue?: unknown; jobId?: unknown };
      // A queue this process does not consume: none of its jobs runs or starts here, nor is its mark ours to clear.
      const worker = workers.find((consumer) => consumer.name === String(queue));
      if (worker && !cancelHere(listening, worker.name, String(jobId)))
        clearFinishedMark(listening, worker, String(jobId));
    } catch (error) {
      logger.warn(`Ignored a malformed cancellation message: ${escapeLog((error as Error).message)}`);
    }
  });
  // A job that completed here after cancel() marked it, while its message was on the way: the mark is cleared (the
  // message's own clearing may have run before the completion). Nearly free: no cancellation heard, no lookup.
  for (const worker of workers)
    worker.afterCompleted = (jobId) => {
      if (processor.running.cancelHeard(worker.name, jobId)) clearFinishedMark(listening, worker, jobId);
    };
  await subscriber.subscribe(channel);
  subscriber.on('ready', () => void cancelMarked(listening));
}

function cancelHere({ processor, logger }: CancelListening, queue: string, jobId: string): boolean {
  const cancelled = processor.cancel(queue, jobId, CANCEL_REASON);
  if (cancelled) logger.warn(`Job ${escapeLog(jobId, 200)} on ${escapeLog(queue, 200)} cancelled`);
  return cancelled;
}

/**
 * cancel() of a job not running here: if it finished (here or elsewhere) with the mark on it, the mark goes, or a
 * manual retry would fail as cancelled without running; so does the cancellation kept for it (it was not starting).
 * Best effort: a clearing that fails is logged.
 */
function clearFinishedMark(listening: CancelListening, worker: MeasuringWorker, jobId: string): void {
  const queue = worker.name;
  listening.reader
    .eval(CLEAR_FINISHED_MARK, 1, worker.toKey(jobId))
    .then((cleared) => void (cleared !== -1 && listening.processor.running.cancelHeard(queue, jobId)))
    .catch((error: Error) =>
      listening.logger.warn(
        `Could not clear the cancel mark of job ${escapeLog(jobId, 200)} on ${queue}: ${escapeLog(error.message)}`,
      ),
    );
}

/** The running jobs cancel() marked meanwhile, cancelled; a read that fails is left (the mark still fails a retry). */
async function cancelMarked(listening: CancelListening): Promise<void> {
  const { subscriber, reader, processor, workers } = listening;
  // ioredis emits 'ready' on the tick after it sent SUBSCRIBE again: a PING sent now is answered after the SUBSCRIBE,
  // so a cancel() published later is heard, and one published earlier has left its mark.
  if (
    !(await subscriber.ping().then(
      () => true,
      () => false,
    ))
  )
    return;
  for (const { queue, id: jobId } of processor.running.refs()) {
    const worker = workers.find((consumer) => consumer.name === queue);
    const mark = worker ? await reader.hget(worker.toKey(jobId), 'defa').catch(() => null) : null;
    if (mark === CANCELLED_FAILURE) cancelHere(listening, queue, jobId);
  }
}
