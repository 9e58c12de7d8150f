export { ServusTracing, SERVUS_TRACER, TraceCarrier } from './servus-tracing';
