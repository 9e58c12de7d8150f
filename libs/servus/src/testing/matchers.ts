import { ClassRef } from '../util/class-ref';
import { ServiceError } from '../response/service-error';
import { ServiceResponse } from '../response/service-response';
import { ServusTestQueue } from './servus-test-queue';
import { isLike, ServusMatcherContext as MatcherContext, ServusMatcherResult as Result } from './matcher-context';
import { activeRecorder, RecordedCall } from './servus-test-recorder';

type ServiceRef = ClassRef | string;

/**
 * Matchers for services, for jest and vitest. Opt in with
 * `setupFilesAfterEnv: ['nestjs-servus/testing/jest-setup']` (jest),
 * `setupFiles: ['nestjs-servus/testing/vitest-setup']` (vitest), or `expect.extend(servusMatchers)`.
 *
 * @publicApi
 */
export const servusMatchers = {
  /** The response is a success (with exactly this data, when given; asymmetric matchers allowed). */
  toBeSuccess(this: MatcherContext, received: unknown, data?: unknown): Result {
    const response = asResponse(this, received, 'toBeSuccess');
    const pass = response.success && (data === undefined || this.equals(response.data, data));
    return {
      pass,
      message: () =>
        pass
          ? `${hint(this, 'toBeSuccess')}Expected not a success, received success with ${this.utils.printReceived(response.data)}`
          : `${hint(this, 'toBeSuccess')}Expected a success${data === undefined ? '' : ` with ${this.utils.printExpected(data)}`}\nReceived: ${describeResponse(this, response)}`,
    };
  },

  /** The response is a failure (of this error class, with this message, when given). */
  toBeFailure(this: MatcherContext, received: unknown, type?: ClassRef, message?: string | RegExp): Result {
    const response = asResponse(this, received, 'toBeFailure');
    const error = response.success ? undefined : response.error;
    const pass =
      !!error &&
      (type === undefined || error instanceof type) &&
      (message === undefined ||
        (typeof message === 'string' ? error.message === message : message.test(error.message)));
    const expected = `a failure${type ? ` of ${type.name}` : ''}${message === undefined ? '' : ` with message ${this.utils.printExpected(message)}`}`;
    return {
      pass,
      message: () =>
        `${hint(this, 'toBeFailure')}Expected ${pass ? 'not ' : ''}${expected}\nReceived: ${describeResponse(this, response)}`,
    };
  },

  /** Running the block emits `event` (with a payload matching `partialPayload`, when given). */
  async toEmitEvent(this: MatcherContext, block: unknown, event: string, partialPayload?: unknown): Promise<Result> {
    const recorder = activeRecorder();
    const mark = recorder.mark();
    await runBlock(block, 'toEmitEvent');
    const emitted = recorder.emits.slice(mark.emits);
    const pass = emitted.some(
      (emit) => emit.event === event && (partialPayload === undefined || isLike(this, emit.payload, partialPayload)),
    );
    return {
      pass,
      message: () =>
        `${hint(this, 'toEmitEvent')}Expected the block ${pass ? 'not ' : ''}to emit ${this.utils.printExpected(event)}${
          partialPayload === undefined ? '' : ` with a payload like ${this.utils.printExpected(partialPayload)}`
        }\nEmitted: ${emitted.length ? emitted.map((e) => `${e.event} ${this.utils.printReceived(e.payload)}`).join('\n         ') : 'nothing'}`,
    };
  },

  /**
   * `callAsync` of the service happened (with args like `partialArgs`, options like `options`):
   * in the block, when given a function; since the start (or the last clear), when given the ServusTestQueue.
   */
  async toHaveEnqueued(
    this: MatcherContext,
    received: unknown,
    service: ServiceRef,
    partialArgs?: unknown,
    options?: unknown,
  ): Promise<Result> {
    let calls: RecordedCall[];
    if (received instanceof ServusTestQueue) {
      calls = received.enqueued().map((call) => ({
        service: call.service,
        type: call.type,
        args: call.args,
        kind: 'enqueue',
        options: call.options,
      }));
    } else {
      const recorder = activeRecorder();
      const mark = recorder.mark();
      await runBlock(received, 'toHaveEnqueued');
      calls = recorder.calls.slice(mark.calls).filter((call) => call.kind === 'enqueue');
    }
    const pass = calls.some(
      (call) =>
        sameService(call, service) &&
        (partialArgs === undefined || isLike(this, call.args, partialArgs)) &&
        (options === undefined || isLike(this, call.options, options)),
    );
    return {
      pass,
      message: () =>
        `${hint(this, 'toHaveEnqueued')}Expected ${pass ? 'no ' : ''}callAsync of ${serviceName(service)}${describeExpectation(this, partialArgs, options)}\nEnqueued: ${describeCalls(this, calls)}`,
    };
  },

  /** Running the block calls the service, in-process or with callAsync. */
  async toCallService(
    this: MatcherContext,
    block: unknown,
    service: ServiceRef,
    partialArgs?: unknown,
  ): Promise<Result> {
    const recorder = activeRecorder();
    const mark = recorder.mark();
    await runBlock(block, 'toCallService');
    const calls = recorder.calls.slice(mark.calls);
    const pass = calls.some(
      (call) => sameService(call, service) && (partialArgs === undefined || isLike(this, call.args, partialArgs)),
    );
    return {
      pass,
      message: () =>
        `${hint(this, 'toCallService')}Expected the block ${pass ? 'not ' : ''}to call ${serviceName(service)}${describeExpectation(this, partialArgs)}\nCalls: ${describeCalls(this, calls)}`,
    };
  },
};

export type ServusMatchers<R> = {
  toBeSuccess(data?: unknown): R;
  toBeFailure(type?: ClassRef, message?: string | RegExp): R;
  toEmitEvent(event: string, partialPayload?: unknown): Promise<R>;
  toHaveEnqueued(service: ServiceRef, partialArgs?: unknown, options?: unknown): Promise<R>;
  toCallService(service: ServiceRef, partialArgs?: unknown): Promise<R>;
};

function asResponse(context: MatcherContext, received: unknown, name: string): ServiceResponse {
  if (!ServiceResponse.isResponse(received)) {
    throw new Error(
      `${hint(context, name)}Expected a ServiceResponse, received ${context.utils.printReceived(received)}`,
    );
  }
  return received;
}

async function runBlock(block: unknown, name: string): Promise<void> {
  if (typeof block !== 'function')
    throw new Error(`${name}: expect() needs a function that does the work, e.g. expect(() => executor.call(...))`);
  await (block as () => unknown)();
}

function sameService(call: RecordedCall, service: ServiceRef): boolean {
  return typeof service === 'string' ? call.service === service : call.type === service;
}

function serviceName(service: ServiceRef): string {
  return typeof service === 'string' ? service : service.name;
}

function hint(context: MatcherContext, name: string): string {
  return `${context.utils.matcherHint(`${context.isNot ? '.not' : ''}.${name}`, undefined, '')}\n\n`;
}

function describeResponse(context: MatcherContext, response: ServiceResponse): string {
  if (response.success) return `success with ${context.utils.printReceived(response.data)}`;
  const error: ServiceError = response.error;
  return `failure ${error.name} (${error.code}): ${context.utils.printReceived(error.message)}`;
}

function describeExpectation(context: MatcherContext, args?: unknown, options?: unknown): string {
  return `${args === undefined ? '' : ` with args like ${context.utils.printExpected(args)}`}${options === undefined ? '' : ` and options like ${context.utils.printExpected(options)}`}`;
}

function describeCalls(context: MatcherContext, calls: RecordedCall[]): string {
  if (!calls.length) return 'none';
  return calls
    .map(
      (call) =>
        `${call.kind === 'enqueue' ? 'callAsync' : 'call'} ${call.service} ${context.utils.printReceived(call.args)}`,
    )
    .join('\n         ');
}
