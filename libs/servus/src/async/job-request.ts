import { AsyncModuleOptions } from './async-options.interface';
import { ExecutionModuleOptions } from '../execution/execution-options.interface';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { CallAsyncOptions } from '../execution/call-async-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { JobEnqueueError } from '../response/async-errors';
import { ServiceDefinition } from '../service/service-definition';
import { baseJobOptions, withCallOptions } from './job-options';
import { encodePayload, findNonJson, JobPayload, measureExactJson } from './job-payload.codec';
import { QueueNames } from './queue-names';
import {
  checkedPayloadSize,
  depthProblem,
  JsonSize,
  MAX_DEPTH_CEILING,
  PayloadLimits,
  payloadLimits,
} from './payload-limits';
import { ServusContext } from '../execution/servus-context';
import { carriedValueProblem } from '../execution/context-limits';
import { GlobalIds } from '../globalid/global-ids';
import { PreparedCall } from '../execution/async-dispatcher.interface';
import { ScheduleOptions } from '../service/schedule-options.interface';
import { atIndex } from '../util/at-index';
import { ServusTracing } from '../tracing/servus-tracing';
import { FLOW_CONTROL, FlowControl, hasFlowLimits } from './flow-control.port';
import { JobSigner } from './job-signer';

/**
 * The job ids Servus gives signed jobs sent without a `jobId` (`servus-<uuid>`): reserved, so the
 * outbox refuses them as a caller's id and never looks them up.
 */
export const SIGNED_JOB_ID_PREFIX = 'servus-';

/** A refusal of the call's own values (arguments, context, ids, options), and one of how the application is set up. */
const REFUSED = { kind: 'refused' } as const;
const MISCONFIGURED = { kind: 'misconfigured' } as const;

/** A job ready to be stored: where, what, and how. */
export interface JobRequest {
  queue: string;
  payload: JobPayload;
  options: JobsOptions;
  /** The payload's JSON text, when the size check had to make it: stored as it is, not serialised again. */
  json?: string;
}

/** A schedule's template, and the id of the job scheduler that makes its runs. */
export interface ScheduleRequest extends JobRequest {
  scheduleId: string;
}

/**
 * Everything `callAsync` checks before anything is sent: the queue exists, the arguments
 * survive JSON exactly, the options make sense. Shared by the BullMQ dispatcher and the
 * testing adapters, so a test refuses exactly what production refuses.
 */
@Injectable()
export class JobRequestBuilder {
  /** undefined: the module does not propagate context (no cost per job). */
  private readonly carry?: readonly string[];
  /** Per service: defaults, module and service job options merged (and checked) once. */
  private readonly limits: PayloadLimits;
  private readonly baseOptions = new WeakMap<ServiceDefinition, Readonly<JobsOptions>>();

  constructor(
    @Inject(SERVUS_MODULE_OPTIONS) private readonly moduleOptions: AsyncModuleOptions & ExecutionModuleOptions,
    readonly names: QueueNames,
    private readonly globalIds: GlobalIds,
    private readonly tracing: ServusTracing,
    private readonly signer: JobSigner,
    @Optional() @Inject(FLOW_CONTROL) private readonly flow?: FlowControl,
  ) {
    this.carry = moduleOptions.context ? (moduleOptions.context.carry ?? []) : undefined;
    this.limits = payloadLimits(moduleOptions.limits);
  }

  /** Every item checked before any is sent: a bad one throws with `items[i]: ` in its message. */
  buildMany(items: PreparedCall[]): JobRequest[] {
    return items.map((item, i) => {
      try {
        return this.build(item.definition, item.args, item.options);
      } catch (error) {
        throw atIndex(error, i);
      }
    });
  }

  /**
   * A schedule's template: the schedule's queue, attempts and backoff; no trace (its runs must not all join the
   * trace that scheduled it). Signed for the runs of its scheduler (`options.id`, by default the service's name).
   */
  buildSchedule(
    definition: ServiceDefinition,
    args: unknown,
    { id, queue, attempts, backoff }: ScheduleOptions,
  ): ScheduleRequest {
    const scheduleId = id ?? definition.name;
    return { ...this.make(definition, args, { queue, attempts, backoff }, scheduleId), scheduleId };
  }

  /**
   * One call's job. With signing keys the job id is fixed here, before the signature that binds it: the
   * call's `jobId` (or `jobOptions.jobId`), else `servus-<uuid>` (BullMQ would number it only once stored).
   */
  build(definition: ServiceDefinition, args: unknown, options: CallAsyncOptions): JobRequest {
    return this.make(definition, args, options);
  }

  private make(
    definition: ServiceDefinition,
    args: unknown,
    options: CallAsyncOptions,
    scheduleId?: string,
  ): JobRequest {
    const service = definition.name;
    const queue = options.queue ?? this.names.queueOf(definition);
    if (!this.names.exists(queue)) {
      throw new JobEnqueueError(
        service,
        `queue "${queue}" is not one of the module's queues (${this.names.all.join(', ')})`,
        MISCONFIGURED,
      );
    }
    // Refused here as the worker would refuse it: a service that declares its queue runs only there.
    const queueProblem = this.names.notAllowed(definition, queue);
    if (queueProblem) throw new JobEnqueueError(service, queueProblem, MISCONFIGURED);
    const { encoded, size } = this.encodedArgs(service, args);
    const context = this.carry && ServusContext.carried(this.carry);
    const contextProblem = context && (findNonJson(context, 'context') ?? carriedValueProblem(context));
    if (contextProblem) throw new JobEnqueueError(service, contextProblem, REFUSED);
    // The caller's own arguments, in the caller's process: a worker never runs a key function on a job's data.
    const flow = this.flow && hasFlowLimits(definition) ? this.flow.keysOf(definition, args) : undefined;
    let payload: JobPayload;
    let jobOptions: JobsOptions;
    try {
      const trace = scheduleId === undefined ? this.tracing.inject() : undefined;
      jobOptions = withCallOptions(this.baseOptionsOf(definition), options);
      payload = encodePayload(service, encoded, context, encoded !== args, trace, flow);
      if (this.signer.enabled) payload = this.signed(queue, payload, jobOptions, scheduleId);
    } catch (error) {
      throw new JobEnqueueError(service, (error as Error).message, { cause: error, kind: 'refused' });
    }
    const { problem: tooBig, json } = checkedPayloadSize(payload, payloadSize(payload, size), this.limits);
    if (tooBig) throw new JobEnqueueError(service, tooBig, REFUSED);
    return json === undefined ? { queue, payload, options: jobOptions } : { queue, payload, options: jobOptions, json };
  }

  /**
   * The arguments as stored, and their JSON size bounds. Instances of classes with a locator become
   * global ids first; any other instance is named in the refusal.
   */
  private encodedArgs(service: string, args: unknown): { encoded: unknown; size: JsonSize } {
    let encoded = args;
    if (this.globalIds.enabled) {
      // Before the encoder's recursive walk: a 200,000-deep value would overflow its stack.
      const tooDeep = depthProblem(args, this.limits);
      if (tooDeep) throw new JobEnqueueError(service, tooDeep, REFUSED);
      try {
        encoded = this.globalIds.encode(args);
      } catch (error) {
        throw new JobEnqueueError(service, (error as Error).message, { cause: error, kind: 'refused' });
      }
    }
    // One walk checks depth and JSON exactness and measures the size; a refused value is walked
    // again only to say what is wrong (depth first, as a deep value cannot be walked recursively).
    const size = measureExactJson(encoded, this.limits.maxDepth);
    if (!size) {
      const problem = depthProblem(encoded, this.limits) ?? findNonJson(encoded);
      throw new JobEnqueueError(service, problem ?? 'args do not survive JSON exactly', REFUSED);
    }
    return { encoded, size };
  }

  /**
   * The payload signed for what it may run as: the runs of its scheduler, or one job id, fixed here in
   * `jobOptions` (the caller's, else `servus-<uuid>`). A caller's id that is not a non-empty string is
   * refused: BullMQ would number the job (or keep the number), and the worker refuse every run of it.
   */
  private signed(queue: string, payload: JobPayload, jobOptions: JobsOptions, scheduleId?: string): JobPayload {
    if (scheduleId !== undefined) return this.signer.sign(queue, payload, { scheduler: scheduleId });
    if (jobOptions.jobId === undefined) jobOptions.jobId = `${SIGNED_JOB_ID_PREFIX}${randomUUID()}`;
    const jobId: unknown = jobOptions.jobId;
    if (typeof jobId !== 'string' || jobId === '')
      throw new TypeError(
        `with security.signingKeys a jobId must be a non-empty string (the signature binds it), got ${described(jobId)}`,
      );
    return this.signer.sign(queue, payload, { jobId });
  }

  private baseOptionsOf(definition: ServiceDefinition): Readonly<JobsOptions> {
    let base = this.baseOptions.get(definition);
    if (!base)
      this.baseOptions.set(
        definition,
        (base = baseJobOptions(this.moduleOptions.defaultJobOptions, definition.options.async)),
      );
    return base;
  }
}

/** The JSON size bounds of a whole payload: its envelope (service, metadata) measured, its arguments' added. */
function payloadSize(payload: JobPayload, args: JsonSize): JsonSize {
  // Built from checked parts (context, trace, flow keys, signature); were it not JSON, the bounds give up: exact count.
  const envelope = measureExactJson({ ...payload, args: null }, MAX_DEPTH_CEILING) ?? { chars: 0, numbers: Infinity };
  // `null` (4 characters) stood for the arguments.
  return { chars: envelope.chars - 4 + args.chars, numbers: envelope.numbers + args.numbers };
}

function described(value: unknown): string {
  if (value === '') return 'an empty string';
  if (value === null) return 'null';
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;
}
