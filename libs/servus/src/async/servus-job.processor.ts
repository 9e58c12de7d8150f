import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from './async-options.interface';
import { measuredPayloadProblem, PayloadLimits, payloadLimits, storedPayloadProblem } from './payload-limits';
import { MeasuredJob } from './measuring-worker';
import { Job, UnrecoverableError } from 'bullmq';
import { ServicePipeline } from '../execution/service-pipeline';
import { ServiceError } from '../response/service-error';
import { SerializedResponse, ServiceResponse } from '../response/service-response';
import { ServiceRegistry } from '../service/service-registry';
import { CANCELLED_PREFIX, failureReason, RetryableFailureError } from './failed-job-response';
import { decodePayload } from './job-payload.codec';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { ServusContext } from '../execution/servus-context';
import { RunningJob } from './running-job';
import { RunningJobs } from './running-jobs';
import { ActiveJobAge } from '../execution/queue-health.port';
import { GlobalIds } from '../globalid/global-ids';
import { EntityNotFoundError } from '../globalid/entity-not-found.error';
import { ServusTracing, SpanKind, TraceCarrier } from '../tracing/servus-tracing';
import { ServiceDefinition } from '../service/service-definition';
import { FLOW_CONTROL, FlowControl, FlowTicket, hasFlowLimits } from './flow-control.port';
import { escapeLog } from '../util/escape-log';
import { QueueNames } from './queue-names';
import { JobSigner } from './job-signer';
import { ExecutionModuleOptions } from '../execution/execution-options.interface';
import { restoredKeys } from '../execution/context-limits';
import { OverrunningBodies } from './overrunning-bodies';
import { jobAttributes, jobLabel, JobRun } from './job-run';
import { quoted } from '../util/quoted';

/**
 * Runs one job: the name is looked up in the registry (an allow-list, never a module
 * load), then the same pipeline as `call` runs. The outcome decides the job's fate:
 *
 * - success, or a failure that is not retryable: completes, the response is the return value;
 * - a retryable failure, or an exception: throws, BullMQ retries with backoff;
 * - undecodable payload, unknown service, invalid arguments, or a non-retryable
 *   ServiceError raised: UnrecoverableError, failed at once with the cause as reason.
 */
@Injectable()
export class ServusJobProcessor {
  private readonly logger = new Logger('Servus');

  private readonly limits: PayloadLimits;
  /** What a job's context may restore: the correlation id and the module's `context.carry`. */
  private readonly contextKeys: readonly string[];

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions & ExecutionModuleOptions,
    private readonly registry: ServiceRegistry,
    private readonly pipeline: ServicePipeline,
    private readonly globalIds: GlobalIds,
    private readonly tracing: ServusTracing,
    private readonly names: QueueNames,
    private readonly signer: JobSigner,
    @Optional() @Inject(FLOW_CONTROL) private readonly flow?: FlowControl,
  ) {
    this.limits = payloadLimits(options.limits);
    this.contextKeys = restoredKeys(options.context?.carry);
  }

  /** Jobs running in this process, for cancel(). */
  private readonly running = new RunningJobs();

  /** Bodies still running after their attempt ended at its deadline. */
  readonly overrunning = new OverrunningBodies();

  /**
   * `token`: the job's lock token (flow control needs it to postpone the job); undefined in the test queue. Never
   * throws: a job refused or failed rejects. Not an async function: its frame would hold every local of the steps
   * below for as long as the job runs.
   */
  process(job: Job, token?: string): Promise<SerializedResponse> {
    try {
      return this.start(job, token);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a refusal's error, rejected as is
      return Promise.reject(error);
    }
  }

  private start(job: Job, token: string | undefined): Promise<SerializedResponse> {
    const attempt = job.attemptsMade + 1;
    let call: ReturnType<typeof decodePayload>;
    try {
      this.checkLimits(job);
      call = decodePayload(job.data, this.contextKeys);
    } catch (error) {
      throw this.refuse(job, jobLabel(job, attempt), (error as UndecodablePayloadError).message);
    }
    const label = () => jobLabel(job, attempt);
    const definition = this.registry.findByName(call.service);
    if (!definition) {
      // Quoted as JSON: a name is foreign data, and a raw line break in it would forge lines in the worker's log.
      throw this.refuse(
        job,
        label(),
        `Unknown service ${JSON.stringify(call.service.slice(0, 200))}: no @Service() is registered under that name in this worker`,
        call.trace,
      );
    }
    const problem = this.integrityProblem(job, call.service, definition);
    if (problem) throw this.refuse(job, label(), problem, call.trace);
    const run: JobRun = { job, call, definition, label, attempt };
    if (!this.flow || !hasFlowLimits(definition)) return this.traced(run);
    const traced = () => this.traced(run);
    // Over a flow limit, admit() postpones the job (no attempt used) and throws BullMQ's DelayedError. A slot the
    // job's fetch took comes at once: no promise to wait for (each one costs a job, with async hooks on).
    const admitted = this.flow.admit(definition, job, token, call.flow ?? {});
    return admitted instanceof Promise
      ? admitted.then((ticket) => this.holding(run, ticket, traced))
      : this.holding(run, admitted, traced);
  }

  /**
   * Runs the job with its flow slot, released as the service's body ends (see releaseSlot). A body still running
   * past its deadline keeps the slot (renewed) until it settles: its retry, or another job of its key, must not run
   * beside it.
   */
  private holding(
    run: JobRun,
    ticket: FlowTicket,
    traced: () => Promise<SerializedResponse>,
  ): Promise<SerializedResponse> {
    run.ticket = ticket;
    try {
      return traced();
    } catch (error) {
      this.releaseSlot(run);
      throw error;
    }
  }

  /**
   * Frees the job's flow slot, once: now, or when a body past its deadline settles. Called as run() ends, so no
   * promise of its own waits for the job; not awaited, and registered before BullMQ completes the job, so the
   * release goes with the call that completes it.
   */
  private releaseSlot(run: JobRun): void {
    const ticket = run.ticket;
    if (!ticket) return;
    run.ticket = undefined;
    const free = () => (ticket.end ? ticket.end() : void ticket.release());
    if (run.overrun) void run.overrun.then(free);
    else free();
  }

  /** The job's run, in a consumer span when an OpenTelemetry SDK is registered. */
  private traced(run: JobRun): Promise<SerializedResponse> {
    if (!this.tracing.active()) return this.run(run);
    const { job, call, definition, attempt } = run;
    // The consumer span continues the producer's trace (carried in the job); its child is the pipeline's call span.
    return this.tracing.run(
      `process ${definition.name}`,
      SpanKind.CONSUMER,
      { 'servus.service': definition.name, ...jobAttributes(job, attempt) },
      () => this.run(run),
      this.tracing.extract(call.trace),
    );
  }

  /**
   * Why a job may not run as it is, though its service exists: the job's name (what the dashboard,
   * metrics and traces show) must be its service, on a queue that service allows; with signing
   * keys, it must carry a valid signature. Anyone who can write to Redis can write a job.
   */
  private integrityProblem(job: Job, service: string, definition: ServiceDefinition): string | undefined {
    if (job.name !== service)
      return `Job name ${quoted(job.name)} does not match its payload's service ${quoted(service)}: a job runs only the service its name declares`;
    const queueProblem = this.names.notAllowed(definition, job.queueName);
    if (queueProblem) return `Refused: ${queueProblem}`;
    const signatureProblem = this.signer.problem(job);
    return signatureProblem && `Refused: ${signatureProblem}`;
  }

  /**
   * Size and depth, before anything walks the payload recursively: a job over either fails at
   * once, before its arguments are logged, validated or handed to a service. A job read by
   * Servus's worker knows its stored text's size (and whether the text is JSON at all); others
   * (the test queue, other callers) are measured by walking their data.
   */
  private checkLimits(job: Job): void {
    const problem =
      job instanceof MeasuredJob && job.storedSize
        ? (job.unparsable ?? measuredPayloadProblem(job.data, job.storedSize, this.limits))
        : storedPayloadProblem(job.data, this.limits);
    if (problem) throw new UndecodablePayloadError(problem);
  }

  /**
   * A job that cannot run at all: failed without retry, and seen in its trace (the name is foreign: not in the
   * span's). A flow slot its fetch took goes back (BullMQ gave the job its lock token).
   */
  private refuse(job: Job, label: string, reason: string, trace?: TraceCarrier): UnrecoverableError {
    this.flow?.unused?.(job, job.token);
    const error = this.unrecoverable(label, reason);
    const attributes = { ...jobAttributes(job, job.attemptsMade + 1), 'servus.outcome': 'refused' };
    this.tracing.record('process (refused)', SpanKind.CONSUMER, attributes, error, this.tracing.extract(trace));
    return error;
  }

  /**
   * The service's run through the pipeline, with the job registered as running meanwhile (cancel, lost lock); its
   * outcome as the job's (see `ended`). Without an async frame: a job is one promise reaction here, not a frame
   * holding every local of the function (a kilobyte a job).
   */
  private run(jobRun: JobRun): Promise<SerializedResponse> {
    const { job, call, definition, attempt } = jobRun;
    const context = new RunningJob(job.id!, job.queueName, attempt, definition.name);
    this.running.add(context);
    let response: Promise<ServiceResponse>;
    try {
      // Global ids are located before validation, as the service would have received them in a sync call; logs keep the ids.
      response = call.gids
        ? this.globalIds
            .decode(call.args, this.limits.maxGlobalIds)
            .then((args) => this.runPipeline(jobRun, context, args))
        : this.runPipeline(jobRun, context, call.args);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what the step threw, rejected as is
      response = Promise.reject(error);
    }
    return response.then(
      (answer) => this.ended(jobRun, context, answer),
      (error: unknown) => this.ended(jobRun, context, undefined, error),
    );
  }

  private runPipeline(jobRun: JobRun, context: RunningJob, args: unknown): Promise<ServiceResponse> {
    const { call, definition, label } = jobRun;
    // The job's data is this process's own fresh copy: validation fills defaults in place.
    const overrun = (settled: Promise<void>) => (jobRun.overrun = settled);
    const run = { definition, args, label, context, logged: call.args, owned: true, overrun };
    // The caller's context (correlation id, carried keys) around the service, as in a sync call; entered only when
    // the job has one (AsyncLocalStorage costs every promise).
    return call.context ? ServusContext.run(call.context, () => this.pipeline.run(run)) : this.pipeline.run(run);
  }

  /**
   * The job's outcome from the pipeline's `response` (else its `error`), once the job is no longer running here:
   * cancelled, it fails without retry; a retryable failure or an exception is retried; invalid arguments, a global
   * id not found and any non-retryable ServiceError raised fail it without retry; else its response is the result.
   */
  private ended(
    jobRun: JobRun,
    context: RunningJob,
    response: ServiceResponse | undefined,
    error?: unknown,
  ): SerializedResponse {
    this.releaseSlot(jobRun);
    this.running.delete(context);
    // Past its deadline the body may still run: it stays among the running jobs (readiness sees its age) until it settles.
    if (jobRun.overrun) this.overrunning.add(context, jobRun.overrun);
    const label = jobRun.label;
    if (context.cancelled !== undefined)
      throw error instanceof UnrecoverableError
        ? error
        : this.unrecoverable(label(), CANCELLED_PREFIX + context.cancelled);
    if (!response) {
      if (error instanceof EntityNotFoundError || error instanceof UndecodablePayloadError)
        throw this.unrecoverable(label(), error.message);
      // Invalid arguments or result (ValidationError) and any non-retryable ServiceError raised: an answer, not a hiccup.
      if (error instanceof ServiceError && !error.retryable)
        throw this.unrecoverable(label(), failureReason(error.name, error.code, error.message));
      throw error;
    }
    if (!response.success && response.error.retryable) throw new RetryableFailureError(response.error);
    return response.toJSON();
  }

  /** The job that has run longest in this process (a body past its deadline included). */
  oldestActiveJob(): ActiveJobAge | undefined {
    const oldest = this.overrunning.oldest(this.running.oldest());
    if (!oldest) return undefined;
    const { id, queue } = oldest.job;
    return { queue, jobId: id, service: oldest.service, ageMs: Date.now() - oldest.startedAt };
  }

  /** The jobs running in this process, as `queue:id` (for the log line of a crash). */
  runningJobs(): string[] {
    return [...this.running.labels(), ...this.overrunning.labels()];
  }

  /** A job of this process lost its lock: its signal aborts with `reason` (it is not cancelled: it may run again). */
  lockLost(queue: string, jobId: string, reason: string): { service: string; attempt: number } | undefined {
    const running = this.running.find(queue, jobId);
    running?.abort(reason);
    return running && { service: running.service, attempt: running.job.attempt };
  }

  /** Cancels a job if it runs in this process: its signal aborts, it then fails as cancelled. */
  cancel(queue: string, jobId: string, reason: string): boolean {
    const running = this.running.find(queue, jobId);
    running?.cancel(reason);
    return running !== undefined;
  }

  private unrecoverable(label: string, reason: string): UnrecoverableError {
    this.logger.error(`${label} failed without retry: ${escapeLog(reason)}`);
    return new UnrecoverableError(reason);
  }
}
