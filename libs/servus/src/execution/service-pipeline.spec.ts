import { NotFoundError, ServiceTimeoutError, ServiceUnavailableError, ValidationError } from '../response/http-errors';
import { ServiceError } from '../response/service-error';
import { ServiceResponse } from '../response/service-response';
import { Rescuer } from '../rescue/rescuer';
import { RescueConfig } from '../rescue/rescue-from.decorator';
import { CallContext } from '../service/call-context';
import { Contract } from '../service/contract.interface';
import { EmitConfig, EmitTrigger } from '../service/emit-config';
import { ServiceBase } from '../service/service-base';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceOptions } from '../service/service-options.interface';
import { ServusTracing, SpanKind } from '../tracing/servus-tracing';
import { CallDeadlines } from './call-deadline';
import { EmitPort } from './emit-port';
import { EventEmitError } from './event-emit.error';
import { ServiceLogger } from './service-logger';
import { PipelineCall, ServicePipeline } from './service-pipeline';
import { CallObservation, ServusObservers } from './servus-observers';

/*
 * The pipeline built from its parts by hand (no Nest module): a logger that records what it is
 * told, an emit port that records what it emits, real observers and deadlines. What each log
 * line looks like is service-logger.unit.spec.ts's concern; here, which line and with what.
 */

/** A service whose `call` is the function the test gives. */
class Fn extends ServiceBase<unknown, unknown> {
  constructor(readonly body: (args: unknown, context?: CallContext) => unknown) {
    super();
  }
  call(args: unknown, context?: CallContext) {
    return this.body(args, context) as Promise<ServiceResponse>;
  }
}

interface DefinitionParts {
  name?: string;
  options?: ServiceOptions;
  rescues?: RescueConfig[];
  arguments?: Contract;
  result?: Contract;
  emits?: Partial<Record<EmitTrigger, EmitConfig[]>>;
}

function define(body: (args: unknown, context?: CallContext) => unknown, parts: DefinitionParts = {}) {
  const name = parts.name ?? 'test.svc';
  const emits = parts.emits && { success: [], failure: [], error: [], ...parts.emits };
  return {
    name,
    type: Fn,
    instance: new Fn(body),
    options: parts.options ?? {},
    rescuer: new Rescuer(parts.rescues ?? [], name),
    arguments: parts.arguments,
    result: parts.result,
    emits,
  } as unknown as ServiceDefinition;
}

const event = (name: string, on: EmitTrigger) => ({ event: name, on }) as EmitConfig;
/** A body (or a contract's answer) that throws `error`. */
const throws = (error: unknown) => () => {
  throw error;
};

/** Records every call of the logger's methods; `begin` and `logsOutcome` answer what the test sets. */
class RecordingLogger {
  readonly calls: unknown[][] = [];
  timed = false;
  outcomeLogged = false;
  begin() {
    this.calls.push(['begin']);
    return this.timed;
  }
  logsOutcome(response: ServiceResponse) {
    this.calls.push(['logsOutcome', response]);
    return this.outcomeLogged;
  }
  called(...args: unknown[]) {
    this.calls.push(['called', ...args]);
  }
  finished(...args: unknown[]) {
    this.calls.push(['finished', ...args]);
  }
  refused(...args: unknown[]) {
    this.calls.push(['refused', ...args]);
  }
  raised(...args: unknown[]) {
    this.calls.push(['raised', ...args]);
  }
  /** The calls of one method, without its name. */
  of(method: string): unknown[][] {
    return this.calls.filter((call) => call[0] === method).map((call) => call.slice(1));
  }
}

/** Records what the pipeline emits; `fail` makes one trigger's emit reject. */
class RecordingEmitter {
  readonly emitted: Array<{ definition: ServiceDefinition; trigger: EmitTrigger; outcome: unknown; args: unknown }> =
    [];
  fail: Partial<Record<EmitTrigger, unknown>> = {};
  emitOutcome(definition: ServiceDefinition, trigger: EmitTrigger, outcome: unknown, args: unknown): Promise<void> {
    this.emitted.push({ definition, trigger, outcome, args });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the test decides what is thrown
    return trigger in this.fail ? Promise.reject(this.fail[trigger]) : Promise.resolve();
  }
}

function build(options: { defaultTimeout?: number | string; tracing?: ServusTracing } = {}) {
  const logger = new RecordingLogger();
  const emitter = new RecordingEmitter();
  const port = new EmitPort();
  port.connect(emitter);
  const observers = new ServusObservers();
  const tracing = options.tracing ?? new ServusTracing({});
  const pipeline = new ServicePipeline(
    logger as unknown as ServiceLogger,
    port,
    observers,
    tracing,
    new CallDeadlines({ defaultTimeout: options.defaultTimeout }),
  );
  const finished: CallObservation[] = [];
  const observe = () => observers.add({ callFinished: (call) => finished.push(call) });
  return { pipeline, logger, emitter, observers, finished, observe };
}

/** A contract that answers `answer(value)` (or throws what it throws) and records its calls. */
function contract(answer: (value: unknown) => unknown = (value) => value) {
  const calls: unknown[][] = [];
  const value: Contract = {
    validate: (...args: unknown[]) => {
      calls.push(args);
      return answer(args[0]);
    },
    toJson: (validated) => validated,
  };
  return { contract: value, calls };
}

const ok = (data: unknown = null) => ServiceResponse.success(data);

afterEach(() => jest.restoreAllMocks());

describe('ServicePipeline.run: the response', () => {
  it('answers the response the service returns, success or failure, with the arguments passed as they are', async () => {
    const { pipeline } = build();
    const args = { a: 1 };
    let received: unknown;
    const success = ok({ id: 7 });
    const definition = define((seen) => ((received = seen), success));
    await expect(pipeline.run({ definition, args })).resolves.toBe(success);
    expect(received).toBe(args);
    const failure = ServiceResponse.failure(new NotFoundError('none'));
    await expect(pipeline.run({ definition: define(() => failure), args })).resolves.toBe(failure);
  });

  it('hands a service without a contract its arguments untouched, even a promise (never awaited for it)', async () => {
    const { pipeline, logger } = build();
    const args = Promise.resolve(7);
    let received: unknown;
    await pipeline.run({ definition: define((seen) => ((received = seen), ok())), args });
    expect(received).toBe(args);
    const refusedArgs = Promise.reject(new Error('not awaited'));
    refusedArgs.catch(() => undefined);
    const answer = ok();
    await expect(pipeline.run({ definition: define(() => answer), args: refusedArgs })).resolves.toBe(answer);
    expect(logger.calls.filter((call) => call[0] === 'refused' || call[0] === 'raised')).toEqual([]);
  });

  it("passes the caller's context to a service without a deadline as it is", async () => {
    const { pipeline } = build();
    const context: CallContext = { job: { id: 'j', queue: 'q', attempt: 1 } };
    let seen: CallContext | undefined;
    await pipeline.run({ definition: define((_args, ctx) => ((seen = ctx), ok())), args: {}, context });
    expect(seen).toBe(context);
  });

  it('rejects with a TypeError naming the service when call() returns something other than a response', async () => {
    const { pipeline, logger } = build();
    for (const returned of [{ success: true, data: 1 }, undefined, 'done']) {
      const definition = define(() => returned, { name: 'broken.return' });
      const error = await pipeline.run({ definition, args: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        'broken.return.call() must return this.success(data) or this.failure(message, Type)',
      );
    }
    expect(logger.of('raised')).toHaveLength(3);
  });

  it('rejects with the very value the service threw (sync or async), and logs it as raised', async () => {
    const { pipeline, logger } = build();
    const thrown = new RangeError('out of range');
    await expect(
      pipeline.run({
        definition: define(throws(thrown)),
        args: {},
      }),
    ).rejects.toBe(thrown);
    await expect(pipeline.run({ definition: define(() => Promise.reject(thrown)), args: {} })).rejects.toBe(thrown);
    expect(logger.of('raised').map((call) => call[2])).toEqual([thrown, thrown]);
    expect(logger.of('refused')).toEqual([]);
    expect(logger.of('finished')).toEqual([]);
  });
});

describe('ServicePipeline.run: never throws', () => {
  it('a step before the service that throws (the call line: a redact function, say) rejects run() instead', async () => {
    const { pipeline, logger } = build();
    const thrown = new Error('redact failed');
    logger.called = throws(thrown);
    let ran = false;
    let result: Promise<ServiceResponse> | undefined;
    expect(() => (result = pipeline.run({ definition: define(() => ((ran = true), ok())), args: {} }))).not.toThrow();
    await expect(result).rejects.toBe(thrown);
    expect(ran).toBe(false);
  });
});

describe('ServicePipeline.run: @RescueFrom', () => {
  class Upstream extends Error {}

  it('a matching declaration turns the exception into its failure; the handler gets the arguments', async () => {
    const { pipeline, logger } = build();
    const thrown = new Upstream('socket hang up');
    const used = await pipeline.run({
      definition: define(throws(thrown), { rescues: [{ errors: [Upstream], use: ServiceUnavailableError }] }),
      args: {},
    });
    expect(used.success).toBe(false);
    expect(used.error).toBeInstanceOf(ServiceUnavailableError);
    expect(used.error?.message).toBe('[Upstream]: socket hang up');

    const args = { id: 4 };
    const handled = await pipeline.run({
      definition: define(() => Promise.reject(thrown), {
        rescues: [{ errors: [Upstream], handler: (error, ctx) => ctx.success({ args: ctx.args, was: error.message }) }],
      }),
      args,
    });
    expect(handled).toMatchObject({ success: true, data: { args, was: 'socket hang up' } });
    expect(logger.of('finished').map((call) => call[2])).toEqual([used, handled]);
    expect(logger.of('raised')).toEqual([]);
  });

  it('an exception no declaration matches is rethrown as it is', async () => {
    const { pipeline, logger } = build();
    const thrown = new TypeError('not upstream');
    const definition = define(throws(thrown), { rescues: [{ errors: [Upstream], use: ServiceUnavailableError }] });
    await expect(pipeline.run({ definition, args: {} })).rejects.toBe(thrown);
    expect(logger.of('raised').map((call) => call[2])).toEqual([thrown]);
  });
});

describe('ServicePipeline: argument validation', () => {
  it('the service gets what the contract answers (sync or async), the contract told the subject and whether args are owned', async () => {
    const { pipeline } = build();
    for (const owned of [true, false, undefined]) {
      for (const answer of [
        (v: unknown) => ({ ...(v as object), filled: true }),
        (v: unknown) => Promise.resolve({ ...(v as object), filled: true }),
      ]) {
        const { contract: args, calls } = contract(answer);
        let received: unknown;
        const definition = define((seen) => ((received = seen), ok()), { name: 'payments.charge', arguments: args });
        const call: PipelineCall = { definition, args: { amount: 5 } };
        if (owned !== undefined) call.owned = owned;
        await pipeline.run(call);
        expect(received).toEqual({ amount: 5, filled: true });
        expect(calls).toEqual([[{ amount: 5 }, 'arguments for payments.charge', owned ?? false]]);
      }
    }
  });

  it('refused arguments reject with the contract error, logged as refused (not raised), and the service never runs', async () => {
    const { pipeline, logger } = build();
    const refusal = new ValidationError('Invalid arguments for payments.charge: amount must be integer');
    const body = jest.fn();
    for (const answer of [throws(refusal), () => Promise.reject(refusal)]) {
      const definition = define(body, { name: 'payments.charge', arguments: contract(answer).contract });
      await expect(pipeline.run({ definition, args: { amount: 'x' }, label: 'job 1 on default' })).rejects.toBe(
        refusal,
      );
    }
    expect(body).not.toHaveBeenCalled();
    expect(logger.of('refused')).toEqual([
      ['payments.charge', 'job 1 on default', refusal, 0],
      ['payments.charge', 'job 1 on default', refusal, 0],
    ]);
    expect(logger.of('raised')).toEqual([]);
  });

  it('an exception of the service after valid arguments is raised, not refused', async () => {
    const { pipeline, logger } = build();
    const thrown = new Error('bug');
    const definition = define(throws(thrown), { arguments: contract().contract });
    await expect(pipeline.run({ definition, args: {} })).rejects.toBe(thrown);
    expect(logger.of('raised').map((call) => call[2])).toEqual([thrown]);
    expect(logger.of('refused')).toEqual([]);
  });

  it('validateArguments: the arguments as they are without a contract; the contract answer with one, not owned by default', () => {
    const { pipeline } = build();
    const args = { a: 1 };
    expect(
      pipeline.validateArguments(
        define(() => ok()),
        args,
      ),
    ).toBe(args);
    const { contract: checked, calls } = contract(() => 'checked');
    const definition = define(() => ok(), { name: 'x.y', arguments: checked });
    expect(pipeline.validateArguments(definition, args)).toBe('checked');
    expect(pipeline.validateArguments(definition, args, true)).toBe('checked');
    expect(calls).toEqual([
      [args, 'arguments for x.y', false],
      [args, 'arguments for x.y', true],
    ]);
  });
});

describe('ServicePipeline: result validation', () => {
  it("a success's data is checked against the result contract (sync or async); a refusal rejects and is raised", async () => {
    const { pipeline, logger } = build();
    const refusal = new ValidationError('Invalid result of payments.charge: id must be string');
    const { contract: passing, calls } = contract();
    const data = { id: 'ch_1' };
    const success = ok(data);
    await expect(
      pipeline.run({ definition: define(() => success, { name: 'payments.charge', result: passing }), args: {} }),
    ).resolves.toBe(success);
    expect(calls).toEqual([[data, 'result of payments.charge']]);
    for (const answer of [throws(refusal), () => Promise.reject(refusal)]) {
      const definition = define(() => ok({ id: 5 }), { result: contract(answer).contract });
      await expect(pipeline.run({ definition, args: {} })).rejects.toBe(refusal);
    }
    expect(logger.of('raised').map((call) => call[2])).toEqual([refusal, refusal]);
  });

  it('a failure is not checked against the result contract', async () => {
    const { pipeline } = build();
    const { contract: result, calls } = contract(() => {
      throw new Error('must not be called');
    });
    const failure = ServiceResponse.failure(new NotFoundError());
    await expect(pipeline.run({ definition: define(() => failure, { result }), args: {} })).resolves.toBe(failure);
    expect(calls).toEqual([]);
  });
});

describe('ServicePipeline: deadlines', () => {
  const hang = (_args: unknown, context?: CallContext) =>
    new Promise((_resolve, reject) => context?.signal?.addEventListener('abort', () => reject(new Error('stopped'))));

  it("a service's timeout ends a hung call with a ServiceTimeoutError failure; overrun is told; the job is passed on", async () => {
    const { pipeline, logger } = build();
    const job = { id: 'j-1', queue: 'default', attempt: 1 };
    let seen: CallContext | undefined;
    const overrun = jest.fn();
    const definition = define(
      (args, context) => {
        seen = context;
        return hang(args, context);
      },
      { name: 'deadline.own', options: { timeout: '20ms' } },
    );
    const response = await pipeline.run({ definition, args: {}, context: { job }, overrun });
    expect(response.success).toBe(false);
    expect(response.error).toBeInstanceOf(ServiceTimeoutError);
    expect(response.error?.message).toBe('deadline.own did not finish within 20ms');
    expect(seen?.job).toBe(job);
    expect(seen?.signal?.aborted).toBe(true);
    expect(overrun).toHaveBeenCalledTimes(1);
    expect(logger.of('finished').map((call) => call[2])).toEqual([response]);
  });

  it("the module's default deadline applies to a service without its own", async () => {
    const { pipeline } = build({ defaultTimeout: 20 });
    const response = await pipeline.run({ definition: define(hang, { name: 'deadline.none' }), args: {} });
    expect(response.error?.message).toBe('deadline.none did not finish within 20ms');
  });

  it('a service under a deadline that answers in time gets a live signal and its answer', async () => {
    const { pipeline } = build();
    let signal: AbortSignal | undefined;
    const success = ok(1);
    const definition = define((_args, context) => ((signal = context?.signal), success), {
      options: { timeout: 1000 },
    });
    await expect(pipeline.run({ definition, args: {} })).resolves.toBe(success);
    expect(signal?.aborted).toBe(false);
  });
});

describe('ServicePipeline: log lines and durations', () => {
  it('logs the call with its label and arguments, then the outcome with the label', async () => {
    const { pipeline, logger } = build();
    const args = { id: 1 };
    const success = ok();
    await pipeline.run({ definition: define(() => success, { name: 'a.b' }), args, label: 'job 7 on default' });
    expect(logger.calls.map((call) => call[0])).toEqual(['begin', 'called', 'finished']);
    expect(logger.of('called')).toEqual([['a.b', 'job 7 on default', args]]);
    expect(logger.of('finished')).toEqual([['a.b', 'job 7 on default', success, 0]]);
  });

  it('logs `logged` instead of the arguments when the call says so, even undefined', async () => {
    const { pipeline, logger } = build();
    await pipeline.run({ definition: define(() => ok()), args: { entity: {} }, logged: { entity: 'gid://x/1' } });
    await pipeline.run({ definition: define(() => ok()), args: { entity: {} }, logged: undefined });
    expect(logger.of('called').map((call) => call[2])).toEqual([{ entity: 'gid://x/1' }, undefined]);
  });

  it('reads no clock when no line and no observer will show the duration', async () => {
    const { pipeline, logger } = build();
    const now = jest.spyOn(performance, 'now');
    await pipeline.run({ definition: define(() => ok()), args: {} });
    await pipeline.run({ definition: define(() => ServiceResponse.failure(new ServiceError())), args: {} });
    await pipeline.run({ definition: define(throws(new Error('x'))), args: {} }).catch(() => undefined);
    expect(now).not.toHaveBeenCalled();
    expect(logger.of('finished').map((call) => call[3])).toEqual([0, 0]);
    expect(logger.of('raised').map((call) => call[3])).toEqual([0]);
  });

  it('a logged outcome carries the time from start to end', async () => {
    const { pipeline, logger } = build();
    logger.timed = true;
    logger.outcomeLogged = true;
    jest.spyOn(performance, 'now').mockReturnValueOnce(100).mockReturnValueOnce(142.5);
    await pipeline.run({ definition: define(() => ok()), args: {} });
    expect(logger.of('finished')[0][3]).toBe(42.5);
  });

  it('a success nobody logs or observes reads the clock once (the start), and says 0', async () => {
    const { pipeline, logger } = build();
    logger.timed = true;
    logger.outcomeLogged = false;
    const now = jest.spyOn(performance, 'now').mockReturnValue(100);
    const success = ok();
    await pipeline.run({ definition: define(() => success), args: {} });
    expect(now).toHaveBeenCalledTimes(1);
    expect(logger.of('logsOutcome')).toEqual([[success]]);
    expect(logger.of('finished')[0][3]).toBe(0);
  });

  it('an exception is timed whether or not an outcome line prints', async () => {
    const { pipeline, logger } = build();
    logger.timed = true;
    jest.spyOn(performance, 'now').mockReturnValueOnce(10).mockReturnValueOnce(13);
    await pipeline.run({ definition: define(throws(new Error('x'))), args: {} }).catch(() => undefined);
    expect(logger.of('raised')[0][3]).toBe(3);
    expect(logger.of('logsOutcome')).toEqual([]);
  });
});

describe('ServicePipeline: observers', () => {
  it('callStarted sees the definition and the arguments before the service runs', async () => {
    const { pipeline, observers } = build();
    const seen: unknown[] = [];
    observers.add({ callStarted: (definition, args) => seen.push(['started', definition.name, args]) });
    const args = { id: 2 };
    await pipeline.run({
      definition: define(() => (seen.push('ran'), ok()), { name: 'obs.svc' }),
      args,
    });
    expect(seen).toEqual([['started', 'obs.svc', args], 'ran']);
  });

  it('callFinished: success, failure with its code, exception with its name (or type), the queue of a job (none without one), the duration', async () => {
    const { pipeline, finished, observe } = build();
    observe();
    jest
      .spyOn(performance, 'now')
      .mockReturnValueOnce(1)
      .mockReturnValueOnce(3)
      .mockReturnValueOnce(10)
      .mockReturnValueOnce(15)
      .mockReturnValueOnce(20)
      .mockReturnValueOnce(27)
      .mockReturnValueOnce(30)
      .mockReturnValueOnce(41);
    const context: CallContext = { job: { id: '1', queue: 'critical', attempt: 1 } };
    await pipeline.run({ definition: define(() => ok(), { name: 's' }), args: {}, context });
    await pipeline.run({
      definition: define(() => ServiceResponse.failure(new NotFoundError()), { name: 'f' }),
      args: {},
      context: { signal: new AbortController().signal },
    });
    const boom = () => {
      throw new RangeError('r');
    };
    await pipeline.run({ definition: define(boom, { name: 'e' }), args: {} }).catch(() => undefined);
    await pipeline
      .run({
        definition: define(
          () => {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw is what is tested
            throw 'plain string';
          },
          { name: 'p' },
        ),
        args: {},
      })
      .catch(() => undefined);
    expect(finished).toEqual([
      { service: 's', queue: 'critical', outcome: 'success', code: undefined, durationMs: 2 },
      { service: 'f', queue: undefined, outcome: 'failure', code: 'not_found', durationMs: 5 },
      { service: 'e', queue: undefined, outcome: 'exception', code: 'RangeError', durationMs: 7 },
      { service: 'p', queue: undefined, outcome: 'exception', code: 'string', durationMs: 11 },
    ]);
  });

  it('an observer makes the call timed even when no line prints, and the logger gets that duration', async () => {
    const { pipeline, logger, observe } = build();
    observe();
    jest.spyOn(performance, 'now').mockReturnValueOnce(5).mockReturnValueOnce(9);
    await pipeline.run({ definition: define(() => ok()), args: {} });
    expect(logger.of('finished')[0][3]).toBe(4);
    expect(logger.of('logsOutcome')).toEqual([]);
  });
});

describe('ServicePipeline: events', () => {
  it("emits the outcome's events with the response and the arguments, after the result check, before the outcome line", async () => {
    const { pipeline, emitter, logger } = build();
    const args = { id: 1 };
    const success = ok({ id: 1 });
    const definition = define(() => success, {
      emits: { success: [event('done', 'success')], failure: [event('failed', 'failure')] },
    });
    await expect(pipeline.run({ definition, args })).resolves.toBe(success);
    const failure = ServiceResponse.failure(new NotFoundError());
    const failing = define(() => failure, { emits: { failure: [event('failed', 'failure')] } });
    await expect(pipeline.run({ definition: failing, args })).resolves.toBe(failure);
    expect(emitter.emitted).toEqual([
      { definition, trigger: 'success', outcome: success, args },
      { definition: failing, trigger: 'failure', outcome: failure, args },
    ]);
    expect(logger.of('finished').map((call) => call[2])).toEqual([success, failure]);
  });

  it('emits nothing for an outcome without events, nor for a service that declares none', async () => {
    const { pipeline, emitter } = build();
    await pipeline.run({
      definition: define(() => ok(), { emits: { failure: [event('failed', 'failure')] } }),
      args: {},
    });
    await pipeline.run({
      definition: define(() => ServiceResponse.failure(new ServiceError()), {
        emits: { success: [event('ok', 'success')] },
      }),
      args: {},
    });
    await pipeline.run({ definition: define(() => ok()), args: {} });
    await pipeline
      .run({
        definition: define(throws(new Error('x')), { emits: { success: [event('ok', 'success')] } }),
        args: {},
      })
      .catch(() => undefined);
    expect(emitter.emitted).toEqual([]);
  });

  it('a failed emit rejects with an EventEmitError naming the service and trigger; the outcome is still logged and observed', async () => {
    const { pipeline, emitter, logger, finished, observe } = build();
    observe();
    const cause = new Error('handler down');
    emitter.fail.success = cause;
    const success = ok();
    const definition = define(() => success, {
      name: 'orders.place',
      emits: { success: [event('placed', 'success')] },
    });
    const error = (await pipeline.run({ definition, args: {} }).catch((e: unknown) => e)) as EventEmitError;
    expect(error).toBeInstanceOf(EventEmitError);
    expect(error.message).toBe("orders.place ran, but its 'success' events failed: Error: handler down");
    expect(error.cause).toBe(cause);
    expect(logger.of('finished').map((call) => call[2])).toEqual([success]);
    expect(finished).toEqual([expect.objectContaining({ outcome: 'exception', code: 'EventEmitError' })]);
  });

  it("'error' events fire with the exception and arguments before it propagates; their own failure does not replace it", async () => {
    const { pipeline, emitter, logger } = build();
    const thrown = new Error('service bug');
    const args = { id: 3 };
    const definition = define(throws(thrown), { emits: { error: [event('crashed', 'error')] } });
    await expect(pipeline.run({ definition, args })).rejects.toBe(thrown);
    emitter.fail.error = new Error('bus down');
    await expect(pipeline.run({ definition, args })).rejects.toBe(thrown);
    expect(emitter.emitted).toEqual([
      { definition, trigger: 'error', outcome: thrown, args },
      { definition, trigger: 'error', outcome: thrown, args },
    ]);
    expect(logger.of('raised').map((call) => call[2])).toEqual([thrown, thrown]);
  });

  it("an 'error' emitter that throws at once, or answers no promise, does not replace the exception either", async () => {
    const { pipeline, emitter, logger } = build();
    const thrown = new Error('service bug');
    const definition = define(throws(thrown), { emits: { error: [event('crashed', 'error')] } });
    const emit = jest.spyOn(emitter, 'emitOutcome').mockImplementationOnce(() => {
      throw new Error('emitter bug');
    });
    await expect(pipeline.run({ definition, args: {} })).rejects.toBe(thrown);
    emit.mockImplementationOnce(() => undefined as unknown as Promise<void>);
    await expect(pipeline.run({ definition, args: {} })).rejects.toBe(thrown);
    expect(logger.of('raised').map((call) => call[2])).toEqual([thrown, thrown]);
  });

  it("refused arguments fire 'error' events with the refusal and the arguments as given", async () => {
    const { pipeline, emitter } = build();
    const refusal = new ValidationError('bad');
    const args = { amount: 'x' };
    const definition = define(() => ok(), {
      arguments: contract(throws(refusal)).contract,
      emits: { error: [event('crashed', 'error')] },
    });
    await expect(pipeline.run({ definition, args })).rejects.toBe(refusal);
    expect(emitter.emitted).toEqual([{ definition, trigger: 'error', outcome: refusal, args }]);
  });
});

describe('ServicePipeline: a logger that throws on the outcome line', () => {
  it("rejects with the logger's error, once observed, with no 'error' event and no raised line", async () => {
    const { pipeline, logger, emitter, observe, finished } = build();
    observe();
    const loggerBug = new Error('logger bug');
    jest.spyOn(logger, 'finished').mockImplementation(() => {
      throw loggerBug;
    });
    const failure = ServiceResponse.failure(new NotFoundError('gone'));
    const definition = define(() => failure, { emits: { error: [event('crashed', 'error')] } });
    await expect(pipeline.run({ definition, args: {} })).rejects.toBe(loggerBug);
    expect(finished).toEqual([expect.objectContaining({ outcome: 'failure' })]);
    expect(emitter.emitted).toEqual([]);
    expect(logger.of('raised')).toEqual([]);
  });
});

describe('ServicePipeline: tracing', () => {
  it('with an SDK, the call runs inside an internal span named for the service', async () => {
    const spans: unknown[][] = [];
    const tracing = {
      active: () => true,
      run: (name: string, kind: SpanKind, attributes: unknown, fn: () => Promise<unknown>) => {
        spans.push([name, kind, attributes]);
        return fn();
      },
    } as unknown as ServusTracing;
    const { pipeline } = build({ tracing });
    const success = ok();
    await expect(pipeline.run({ definition: define(() => success, { name: 'traced.svc' }), args: {} })).resolves.toBe(
      success,
    );
    expect(spans).toEqual([['call traced.svc', SpanKind.INTERNAL, { 'servus.service': 'traced.svc' }]]);
  });

  it('without one, no span is started', async () => {
    const run = jest.fn();
    const tracing = { active: () => false, run } as unknown as ServusTracing;
    const { pipeline } = build({ tracing });
    await expect(pipeline.run({ definition: define(() => ok(1)), args: {} })).resolves.toMatchObject({ data: 1 });
    expect(run).not.toHaveBeenCalled();
  });
});
