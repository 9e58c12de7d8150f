/**
 * What a call knows besides its arguments: the second parameter of `call(args, context)`.
 *
 * @publicApi
 */
export interface CallContext {
  /** Aborted when the async call is cancelled (`executor.cancel`): stop early, the job ends cancelled. */
  signal?: AbortSignal;
  /** Set when the call runs as a job in a worker. */
  job?: { id: string; queue: string; attempt: number };
}
