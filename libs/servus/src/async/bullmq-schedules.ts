import { Injectable } from '@nestjs/common';
import { type JobSchedulerJson } from 'bullmq';
import { ScheduleInfo, ScheduleOptions } from '../service/schedule-options.interface';
import { JobEnqueueError } from '../response/async-errors';
import { ServiceDefinition } from '../service/service-definition';
import { BullmqQueues } from './bullmq-queues';
import { parseDuration } from '../util/duration';
import { JobRequestBuilder } from './job-request';
import { patternProblem } from './repeat-pattern';
import { notTaken } from './could-not';

/**
 * Schedules on BullMQ job schedulers: `upsertJobScheduler` by id, so scheduling again (a
 * restart, several processes) updates the one scheduler instead of adding another.
 */
@Injectable()
export class BullmqSchedules {
  constructor(
    private readonly requests: JobRequestBuilder,
    private readonly queues: BullmqQueues,
  ) {}

  async schedule(definition: ServiceDefinition, args: unknown, options: ScheduleOptions): Promise<ScheduleInfo> {
    const service = definition.name;
    const repeat = repeatOf(service, options);
    const request = this.requests.buildSchedule(definition, args, options);
    const id = request.scheduleId;
    const { jobId: _jobId, delay: _delay, deduplication: _dedup, ...opts } = request.options;
    try {
      const queue = await this.queues.ready(request.queue);
      await queue.upsertJobScheduler(id, repeat, { name: service, data: request.payload, opts });
      const stored = await queue.getJobScheduler(id);
      return infoOf(stored!, request.queue, service);
    } catch (error) {
      throw notTaken(service, `the schedule "${id}"`, error);
    }
  }

  async list(): Promise<ScheduleInfo[]> {
    const all: ScheduleInfo[] = [];
    for (const name of this.queues.queueNames.all) {
      const queue = await this.queues.ready(name);
      for (const scheduler of await queue.getJobSchedulers())
        all.push(
          infoOf(
            scheduler,
            name,
            (scheduler.template?.data as { service?: string } | undefined)?.service ?? scheduler.name,
          ),
        );
    }
    return all;
  }

  /** true when a schedule with that id existed (on `queue`, or on any queue). */
  async remove(id: string, queue?: string): Promise<boolean> {
    let removed = false;
    for (const name of queue ? [this.queues.queueNames.resolve(queue)] : this.queues.queueNames.all) {
      removed = (await (await this.queues.ready(name)).removeJobScheduler(id)) || removed;
    }
    return removed;
  }
}

/**
 * The repeat of a schedule, checked: every or cron, never both, a valid duration, a cron pattern and time zone BullMQ
 * reads, not empty (read here as BullMQ reads them, patternProblem: it would throw inside upsertJobScheduler, where
 * the error would pass for Redis's).
 * Shared with the test queue.
 */
export function repeatOf(
  service: string,
  { every, cron, tz, limit }: ScheduleOptions,
): { every?: number; pattern?: string; tz?: string; limit?: number } {
  if ((every === undefined) === (cron === undefined))
    throw new JobEnqueueError(service, 'a schedule needs either every or cron', { kind: 'refused' });
  if (every !== undefined) {
    try {
      return { every: parseDuration(every), limit };
    } catch (error) {
      throw new JobEnqueueError(service, (error as Error).message, { cause: error, kind: 'refused' });
    }
  }
  const problem = patternProblem({ pattern: cron, tz });
  if (problem !== undefined) {
    const where = `cron ${JSON.stringify(cron)}${tz === undefined ? '' : ` (tz ${JSON.stringify(tz)})`}`;
    throw new JobEnqueueError(service, `${where} cannot be read: ${problem}`, { kind: 'refused' });
  }
  return { pattern: cron, tz, limit };
}

function infoOf(scheduler: JobSchedulerJson, queue: string, service: string): ScheduleInfo {
  const info: ScheduleInfo = { id: scheduler.key, queue, service };
  if (scheduler.every) info.every = Number(scheduler.every);
  if (scheduler.pattern) info.cron = scheduler.pattern;
  if (scheduler.tz) info.tz = scheduler.tz;
  if (scheduler.next) info.next = Number(scheduler.next);
  return info;
}
