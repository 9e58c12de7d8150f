/** How events behave. */
export interface ServusEventsOptions {
  /** A handler of an event no service declares with @Emits fails the boot. Default true. */
  strict?: boolean;
  /**
   * 'propagate' (default, as Servus): a failed invocation rejects the emit, and the call that
   * emitted it. 'isolate': it is logged and reported in the EmitReport; the emitter carries on.
   */
  handlerErrors?: 'propagate' | 'isolate';
}

/** The part of `ServusModule.forRoot()`'s options that the event bus reads. */
export interface EventsModuleOptions {
  /** The event bus. */
  events?: ServusEventsOptions;
}
