/**
 * Options of `ServusHealthModule.forRoot()`.
 *
 * @publicApi
 */
export interface ServusHealthOptions {
  /** Base route: `<path>` and `<path>/ready` (readiness), `<path>/live` (liveness). Default 'health'; `false` mounts none. */
  path?: string | false;
  /**
   * Add the raw error of a failing check (Redis's own message: an address, a timeout) to the
   * answer. Default false: the answer names the failing component only, the error goes to the log.
   */
  details?: boolean;
  /**
   * Readiness of a worker is down while a job has been running here longer than this (ms): a
   * hung job that ignores its deadline shows up. Default 900000 (15 min); `false` reports the
   * age without judging it.
   */
  maxActiveJobAgeMs?: number | false;
}

/** Injection token of the health options. */
export const SERVUS_HEALTH_OPTIONS = Symbol('servus:health_options');
export const DEFAULT_MAX_ACTIVE_JOB_AGE_MS = 15 * 60_000;
