import { Logger } from '@nestjs/common';
import { Worker } from 'bullmq';
import { ServusObservers } from '../execution/servus-observers';
import { ServiceRegistry } from '../service/service-registry';
import { ServusJobProcessor } from './servus-job.processor';
import { escapeLog } from '../util/escape-log';

/** What watchWorker reports to. */
export interface WorkerWatch {
  logger: Logger;
  registry: ServiceRegistry;
  observers: ServusObservers;
  processor: ServusJobProcessor;
}

/**
 * What a BullMQ Worker says about its jobs, logged and counted so that no job is lost, retried,
 * stalled or dead unseen. A job failed by stall recovery (over `maxStalledCount`) fails with
 * BullMQ's UnrecoverableError in the worker that picks it up: it is dead, as any other.
 */
export function watchWorker(worker: Worker, { logger, registry, observers, processor }: WorkerWatch): void {
  const queue = worker.name;
  // A job's name is foreign data (anyone can add a job): only registered names become metric labels.
  const serviceOf = (name: string | undefined) => (name && registry.findByName(name) ? name : 'unknown');
  // Job ids and error messages may hold foreign text (anyone can add a job): escaped, one log line each.
  worker.on('error', (error) => logger.error(`Worker ${queue}: ${escapeLog(error.message)}`));
  worker.on('stalled', (jobId) =>
    logger.warn(`Job ${escapeLog(jobId, 200)} on ${queue} stalled (its worker died?): it will run again`),
  );
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) {
      // Another worker may take the job once the lock is gone: this run should stop, it may run again there.
      const running = processor.lockLost(queue, jobId, `lock lost: job ${jobId} on ${queue} may run again elsewhere`);
      logger.warn(
        `Job ${escapeLog(jobId, 200)} on ${queue} lost its lock (Redis stalled or the event loop was blocked): its signal is aborted; the job may run again`,
      );
      if (observers.observed.lockLost)
        observers.lockLost({ service: serviceOf(running?.service), queue, jobId, attemptsMade: running?.attempt ?? 0 });
    }
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const observation = { service: serviceOf(job.name), queue, jobId: job.id!, attemptsMade: job.attemptsMade };
    const [id, message] = [escapeLog(job.id, 200), escapeLog(error.message)];
    if (job.attemptsMade < (job.opts.attempts ?? 1) && error.name !== 'UnrecoverableError') {
      logger.warn(`Job ${id} on ${queue} attempt ${job.attemptsMade} failed, will retry: ${message}`);
      if (observers.observed.jobRetrying) observers.jobRetrying(observation);
    } else {
      logger.error(`Job ${id} on ${queue} failed for good after ${job.attemptsMade} attempt(s): ${message}`);
      if (observers.observed.jobDead) observers.jobDead(observation);
    }
  });
}
