import { ServiceResponse } from '../response/service-response';

/**
 * Where an async call stands. `response` is there once the job has finished: its own
 * response when it completed, a failure carrying the error when it failed for good.
 *
 * @publicApi
 */
export interface AsyncJobStatus {
  state:
    // `string & {}` keeps the known states in editors' completion while BullMQ may add others.
    | 'waiting'
    | 'delayed'
    | 'prioritized'
    | 'active'
    | 'completed'
    | 'failed'
    | 'waiting-children'
    | 'unknown'
    | (string & {});
  attemptsMade: number;
  response?: ServiceResponse;
  failedReason?: string;
  timestamps: { enqueuedAt: number; startedAt?: number; finishedAt?: number };
}
