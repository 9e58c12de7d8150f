export { Emits, EmitsOptions, EmitTrigger, EmitPayload } from './emits.decorator';
export { EventHandler, EventHandlerOptions } from './event-handler.decorator';
export { Invoke, InvokeOptions } from './invoke.decorator';
export { ServusEvents } from './servus-events';
export { EventInvocationsError } from './event-invocations.error';
export { EmitReport, InvocationOutcome } from './emit-report.interface';
export { EventEmitError } from '../execution/event-emit.error';
