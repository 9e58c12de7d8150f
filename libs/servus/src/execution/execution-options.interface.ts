/** How calls are logged. */
export interface ServusLoggingOptions {
  /**
   * More keys whose values are masked in logs and the dashboard (a string matches as a substring,
   * ignoring case, '-', '_' and spaces), added to DEFAULT_REDACT_KEYS, which always apply.
   */
  redact?: (string | RegExp)[];
  /** Characters of a call's arguments shown on its debug line; longer ones are cut there. Default 2000. */
  maxArgsLength?: number;
  /** Level of the per-call success line. Default 'log' (info); 'debug' keeps busy workers quiet. */
  successLevel?: 'log' | 'debug' | 'verbose';
  /**
   * Level of the line for a call whose arguments the contract refused (a ValidationError the
   * caller caused, e.g. a 422 for an HTTP client's typo). Default 'warn', without a stack;
   * 'error' logs it as an exception, with its stack.
   */
  invalidArgumentsLevel?: 'error' | 'warn' | 'log' | 'debug';
}

/** The part of `ServusModule.forRoot()`'s options that the pipeline and the context read. */
export interface ExecutionModuleOptions {
  /**
   * Context propagation, opt-in: jobs carry the correlation id of the current ServusContext (a
   * new one when there is none) and these keys (at most 32) to the worker, which restores them
   * around the service. Off (the default), jobs carry none. A worker restores only the correlation
   * id and its own `carry` keys of a job's context; a carried string over 1024 characters, or a
   * value that is not a JSON primitive, is refused at callAsync and fails the job in a worker.
   */
  context?: { carry?: string[] };
  /** `false` turns the pipeline's log lines off. */
  logging?: ServusLoggingOptions | false;
  /** Deadline of every service that sets no `timeout` of its own (ms, or '30s'). Default: none. */
  defaultTimeout?: number | string;
}
