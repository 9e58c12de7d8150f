import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { ServicePipeline } from '../execution/service-pipeline';
import { ServiceError } from '../response/service-error';
import { SerializedResponse, ServiceResponse } from '../response/service-response';
import { CANCELLED_PREFIX, failureReason, RetryableFailureError } from './failed-job-response';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { ServusContext } from '../execution/servus-context';
import { RunningJob } from './running-job';
import { RunningJobs } from './running-jobs';
import { ActiveJobAge } from '../execution/queue-health.port';
import { GlobalIds } from '../globalid/global-ids';
import { EntityNotFoundError } from '../globalid/entity-not-found.error';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';
import { FLOW_CONTROL, FlowControl, FlowTicket, hasFlowLimits } from './flow-control.port';
import { OverrunningBodies } from './overrunning-bodies';
import { JobGate } from './job-gate';
import { payloadLimits } from './payload-limits';
import { AsyncModuleOptions } from './async-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { jobAttributes, JobRun, unrecoverable } from './job-run';

/**
 * Runs one job: once it passed its checks (JobGate: a job that may not run fails there, without retry), the same
 * pipeline as `call` runs. The outcome decides the job's fate:
 *
 * - success, or a failure that is not retryable: completes, the response is the return value;
 * - a retryable failure, or an exception: throws, BullMQ retries with backoff;
 * - undecodable payload, unknown service, invalid arguments, or a non-retryable
 *   ServiceError raised: UnrecoverableError, failed at once with the cause as reason.
 */
@Injectable()
export class ServusJobProcessor {
  private readonly logger = new Logger('Servus');

  /** How many global ids a job's arguments may hold (limits.maxGlobalIds). */
  private readonly maxGlobalIds: number;

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions,
    private readonly gate: JobGate,
    private readonly pipeline: ServicePipeline,
    private readonly globalIds: GlobalIds,
    private readonly tracing: ServusTracing,
    @Optional() @Inject(FLOW_CONTROL) private readonly flow?: FlowControl,
  ) {
    this.maxGlobalIds = payloadLimits(options.limits).maxGlobalIds;
  }

  /** Jobs running in this process (not bodies past their deadline), for cancel() and lost locks. */
  readonly running = new RunningJobs();

  /** Bodies still running after their attempt ended at its deadline. */
  readonly overrunning = new OverrunningBodies();

  /**
   * `token`: the job's lock token (flow control needs it to postpone the job); undefined in the test queue. Never throws:
   * a job refused or failed rejects. Not an async function: its frame would hold the steps' locals while the job runs.
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
    const run = this.gate.open(job);
    const definition = run.definition;
    if (!this.flow || !hasFlowLimits(definition)) return this.traced(run);
    // Over a flow limit, admit() postpones the job (no attempt used) and throws BullMQ's DelayedError. A slot the
    // job's fetch took comes at once: no promise to wait for (each one costs a job, with async hooks on).
    const admitted = this.flow.admit(definition, job, token, run.call.flow ?? {});
    return admitted instanceof Promise
      ? admitted.then((ticket) => this.holding(run, ticket))
      : this.holding(run, admitted);
  }

  /**
   * Runs the job with its flow slot, released as the service's body ends (see releaseSlot). A body still running
   * past its deadline keeps the slot (renewed) until it settles: its retry, or another job of its key, must not run
   * beside it.
   */
  private holding(run: JobRun, ticket: FlowTicket): Promise<SerializedResponse> {
    run.ticket = ticket;
    try {
      return this.traced(run);
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
   * The service's run through the pipeline, with the job registered as running meanwhile (cancel, lost lock); its
   * outcome as the job's (see `ended`). Without an async frame: a job is one promise reaction here, not a frame
   * holding every local of the function (a kilobyte a job).
   */
  private run(jobRun: JobRun): Promise<SerializedResponse> {
    const { job, call, definition, attempt } = jobRun;
    const context = new RunningJob(job.id!, job.queueName, attempt, definition.name, job.processedOn);
    this.running.add(context);
    let response: Promise<ServiceResponse>;
    try {
      // Cancelled as it registered (a cancellation heard while it was starting): its service does not run.
      if (context.cancelled !== undefined) throw new Error(context.cancelled);
      // Global ids are located before validation, as the service would have received them in a sync call; logs keep the ids.
      response = call.gids
        ? this.globalIds.decode(call.args, this.maxGlobalIds).then((args) => this.runPipeline(jobRun, context, args))
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
        : unrecoverable(this.logger, label(), CANCELLED_PREFIX + context.cancelled);
    if (!response) {
      if (error instanceof EntityNotFoundError || error instanceof UndecodablePayloadError)
        throw unrecoverable(this.logger, label(), error.message);
      // Invalid arguments or result (ValidationError) and any non-retryable ServiceError raised: an answer, not a hiccup.
      if (error instanceof ServiceError && !error.retryable)
        throw unrecoverable(this.logger, label(), failureReason(error.name, error.code, error.message));
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

  /** Cancels a job running here (it then fails as cancelled); else keeps the cancellation a while (RunningJobs). */
  cancel(queue: string, jobId: string, reason: string): boolean {
    return this.running.cancel(queue, jobId, reason);
  }
}
