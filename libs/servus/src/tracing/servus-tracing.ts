import { TracingModuleOptions } from './tracing-options.interface';
import { Inject, Injectable } from '@nestjs/common';
import {
  Attributes,
  Context,
  context,
  INVALID_SPANID,
  propagation,
  ProxyTracerProvider,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServiceResponse } from '../response/service-response';

/** The name of Servus's tracer, to filter or sample its spans. */
export const SERVUS_TRACER = 'nestjs-servus';

/** What @opentelemetry/api answers while no SDK has registered a tracer provider. */
const NO_SDK = new ProxyTracerProvider().getDelegate();
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** W3C trace context (`traceparent`, `tracestate`) as it rides in a job. */
export type TraceCarrier = Record<string, string>;

/**
 * OpenTelemetry spans for `call` (internal), `callAsync` (producer) and a worker's job
 * (consumer), through @opentelemetry/api only: the application registers the SDK and its
 * exporter; without one, every span is a non-recording no-op and nothing else is done.
 * The producer's context travels in the job, so one trace spans api -> queue -> worker.
 *
 * @publicApi
 */
@Injectable()
export class ServusTracing {
  /** `tracing: false` in the module options skips even the no-op spans. */
  readonly enabled: boolean;
  private readonly tracer = trace.getTracer(SERVUS_TRACER);

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: TracingModuleOptions) {
    this.enabled = options.tracing !== false;
  }

  /**
   * Whether spans can be recorded: tracing is on and an SDK registered its tracer provider. Checked
   * per call (an SDK may register after boot) by reading the global provider: no span is started,
   * no context is read or allocated when the answer is no.
   */
  active(): boolean {
    // Where @opentelemetry/api 1.x keeps what was registered: nothing there, no SDK (two property reads).
    if (
      !this.enabled ||
      (globalThis as Record<symbol, { trace?: unknown } | undefined>)[API_GLOBAL]?.trace === undefined
    )
      return false;
    const provider = trace.getTracerProvider();
    return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
  }

  /** Runs `fn` inside a span when an SDK is there (see `start`, `within`); otherwise simply runs it. */
  run<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    fn: (span?: Span) => Promise<T>,
    parent?: Context,
  ): Promise<T> {
    const span = this.active() ? this.start(name, kind, attributes, parent) : undefined;
    if (!span) return fn();
    // A sampled-out span records nothing: it is only made active, so that its decision carries.
    return span.isRecording()
      ? this.within(span, () => fn(span), parent)
      : context.with(trace.setSpan(parent ?? context.active(), span), fn, undefined, span);
  }

  /**
   * The span to run in, or undefined when there is no SDK (the caller then runs untraced, at no cost).
   * A span an SDK sampled out is returned too: not recorded, but active, so its children and the
   * job it sends keep that decision (flags 00) instead of starting traces of their own. The no-op
   * tracer's spans have the invalid id, or the parent's own context: nothing to carry.
   */
  start(name: string, kind: SpanKind, attributes: Attributes, parent: Context = context.active()): Span | undefined {
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    if (span.isRecording()) return span;
    const id = span.spanContext().spanId;
    return id !== INVALID_SPANID && id !== trace.getSpanContext(parent)?.spanId ? span : undefined;
  }

  /**
   * Runs `fn` with `span` active (spans it starts are its children) and ends it: an exception
   * records it and sets the error status; a response (or a job's serialised one) sets
   * servus.outcome, and a failure's code.
   */
  async within<T>(span: Span, fn: () => Promise<T>, parent: Context = context.active()): Promise<T> {
    try {
      const result = await context.with(trace.setSpan(parent, span), fn);
      const outcome = outcomeOf(result);
      if (outcome) span.setAttributes(outcome);
      return result;
    } catch (error) {
      span.setAttribute('servus.outcome', 'exception');
      if (error instanceof Error) span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** A span for something that failed before it could run (a refused job): ended at once, ERROR, the error recorded. */
  record(name: string, kind: SpanKind, attributes: Attributes, error: Error, parent?: Context): void {
    const span = this.active() ? this.start(name, kind, attributes, parent) : undefined;
    if (!span) return;
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
  }

  /** The active trace context for a job, or undefined when there is none to carry. */
  inject(): TraceCarrier | undefined {
    if (!this.active()) return undefined;
    const carrier: TraceCarrier = {};
    propagation.inject(context.active(), carrier);
    for (const _ in carrier) return carrier;
    return undefined;
  }

  /** The producer's context from a job's carrier (the consumer span's parent); undefined without one or with tracing off. */
  extract(carrier: TraceCarrier | undefined): Context | undefined {
    return carrier && this.active() ? propagation.extract(context.active(), carrier) : undefined;
  }
}

/** The outcome attributes of a ServiceResponse, or of its serialised form (what a job returns). */
function outcomeOf(result: unknown): Attributes | undefined {
  if (ServiceResponse.isResponse(result))
    return result.success
      ? { 'servus.outcome': 'success' }
      : { 'servus.outcome': 'failure', 'servus.error.code': result.error.code };
  const serialized = result as { success?: unknown; error?: { code?: unknown } } | null;
  if (typeof serialized !== 'object' || serialized === null || typeof serialized.success !== 'boolean')
    return undefined;
  if (serialized.success) return { 'servus.outcome': 'success' };
  return typeof serialized.error?.code === 'string'
    ? { 'servus.outcome': 'failure', 'servus.error.code': serialized.error.code }
    : { 'servus.outcome': 'failure' };
}

export { SpanKind };
