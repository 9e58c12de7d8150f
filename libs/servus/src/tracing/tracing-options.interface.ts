/** The part of `ServusModule.forRoot()`'s options that tracing reads. */
export interface TracingModuleOptions {
  /**
   * OpenTelemetry spans for call, callAsync and jobs, through the globally registered tracer
   * provider (no-op without one). `false` skips them entirely. Default true.
   */
  tracing?: boolean;
}
