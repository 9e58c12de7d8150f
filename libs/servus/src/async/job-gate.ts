import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { AsyncModuleOptions } from './async-options.interface';
import { ExecutionModuleOptions } from '../execution/execution-options.interface';
import { restoredKeys } from '../execution/context-limits';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { ServiceRegistry } from '../service/service-registry';
import { ServiceDefinition } from '../service/service-definition';
import { ServusTracing, SpanKind, TraceCarrier } from '../tracing/servus-tracing';
import { measuredPayloadProblem, PayloadLimits, payloadLimits, storedPayloadProblem } from './payload-limits';
import { MeasuredJob } from './measuring-worker';
import { decodePayload } from './job-payload.codec';
import { QueueNames } from './queue-names';
import { JobSigner } from './job-signer';
import { FLOW_CONTROL, FlowControl } from './flow-control.port';
import { jobAttributes, jobLabel, JobRun, unrecoverable } from './job-run';
import { quoted } from '../util/quoted';

/**
 * What a fetched job must pass before its service runs: size and depth, a payload that decodes, a service registered
 * under its name (an allow-list, never a module load), on a queue that service allows, signed when signing keys are
 * set. Anyone who can write to Redis can write a job: a job that fails any of these fails at once, without retry.
 */
@Injectable()
export class JobGate {
  private readonly logger = new Logger('Servus');
  private readonly limits: PayloadLimits;
  /** What a job's context may restore: the correlation id and the module's `context.carry`. */
  private readonly contextKeys: readonly string[];

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions & ExecutionModuleOptions,
    private readonly registry: ServiceRegistry,
    private readonly tracing: ServusTracing,
    private readonly names: QueueNames,
    private readonly signer: JobSigner,
    @Optional() @Inject(FLOW_CONTROL) private readonly flow?: FlowControl,
  ) {
    this.limits = payloadLimits(options.limits);
    this.contextKeys = restoredKeys(options.context?.carry);
  }

  /** The run of `job`'s attempt; throws the UnrecoverableError (logged, traced) of a job that may not run. */
  open(job: Job): JobRun {
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
    return { job, call, definition, label, attempt };
  }

  /**
   * Why a job may not run as it is, though its service exists: the job's name (what the dashboard,
   * metrics and traces show) must be its service, on a queue that service allows; with signing
   * keys, it must carry a valid signature.
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
    const error = unrecoverable(this.logger, label, reason);
    const attributes = { ...jobAttributes(job, job.attemptsMade + 1), 'servus.outcome': 'refused' };
    this.tracing.record('process (refused)', SpanKind.CONSUMER, attributes, error, this.tracing.extract(trace));
    return error;
  }
}
