import { Logger } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import { Emits, EventHandler, Invoke, ServiceBase } from 'nestjs-servus';
import { ServusObservers } from '../execution/servus-observers';
import { EventInvocationsError } from 'nestjs-servus/extend';
import { EmitPort } from '../execution/emit-port';
import type { ServusExecutor } from '../execution/servus-executor';
import { Rescuer } from '../rescue/rescuer';
import { EMITS_METADATA } from '../servus.constants';
import { EmitConfig, EmitTrigger } from '../service/emit-config';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import type { ContractCompiler } from '../validation/contract-compiler';
import { eventHandlerOf } from './event-handler.decorator';
import { EventRegistry, HandlerBinding } from './event-registry';
import { HandlerBinder } from './handler-binder';
import { invokeOf } from './invoke.decorator';
import { ServusEvents } from './servus-events';

class Notify extends ServiceBase<unknown, unknown> {
  call(args: unknown) {
    return this.success(args);
  }
}

function definitionOf(name: string, emits?: Partial<Record<EmitTrigger, EmitConfig[]>>, instance?: object) {
  return {
    name,
    type: Notify,
    instance: instance ?? new Notify(),
    options: {},
    rescuer: new Rescuer([], name),
    emits: emits && { success: [], failure: [], error: [], ...emits },
  } as unknown as ServiceDefinition;
}

/** A bus over fakes: `calls`/`enqueued` record what the executor was asked; a handler per event maps the payload as is. */
function bus(options: { isolate?: boolean; observers?: ServusObservers } = {}) {
  const calls: unknown[] = [];
  const enqueued: unknown[] = [];
  const executor = {
    call: (_type: unknown, args: unknown) => {
      calls.push(args);
      if ((args as { fail?: string })?.fail) return Promise.reject(new Error((args as { fail: string }).fail));
      return Promise.resolve({ success: true, data: args });
    },
    callAsync: (_type: unknown, args: unknown) => {
      enqueued.push(args);
      return Promise.resolve({ jobId: 'job-1', queue: 'default', service: 'notify' });
    },
  } as unknown as ServusExecutor;
  const registry = new EventRegistry();
  const target = definitionOf('notify');
  const handle = (event: string, async = false, map = (payload: unknown): unknown => payload) =>
    registry.add({
      name: `On${event}`,
      event,
      invocations: [{ name: `On${event}.go`, target, options: { async }, callOptions: {}, map }],
    } satisfies HandlerBinding);
  const events = new ServusEvents(
    registry,
    executor,
    new EmitPort(),
    { events: options.isolate ? { handlerErrors: 'isolate' } : {} },
    options.observers ?? new ServusObservers(),
  );
  return { events, handle, calls, enqueued };
}

describe('ServusEvents (over fakes)', () => {
  let error: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => error.mockRestore());

  it('tells the observers of every emit, before its handlers run; nothing when none listens', async () => {
    const observers = new ServusObservers();
    const { events, handle, calls } = bus({ observers });
    handle('a');
    const seen: unknown[] = [];
    const emitted = jest.spyOn(observers, 'emitted');
    await events.emit('a', { n: 1 });
    expect(emitted).not.toHaveBeenCalled();
    observers.add({ emitted: (event, payload) => seen.push([event, payload, calls.length]) });
    await events.emit('a', { n: 2 });
    expect(seen).toEqual([['a', { n: 2 }, 1]]);
  });

  it('reports an async invocation as enqueued with its receipt', async () => {
    const { events, handle, enqueued } = bus();
    handle('later', true);
    expect(await events.emit('later', { n: 1 })).toEqual({
      event: 'later',
      outcomes: [
        {
          invocation: 'Onlater.go',
          service: 'notify',
          status: 'enqueued',
          receipt: { jobId: 'job-1', queue: 'default', service: 'notify' },
        },
      ],
    });
    expect(enqueued).toEqual([{ n: 1 }]);
  });

  it("emitOutcome: the data on 'success', the error on 'failure', the thrown error itself on 'error'", async () => {
    const { events, handle, calls } = bus();
    for (const event of ['ok', 'no', 'boom']) handle(event);
    const definition = definitionOf('reports.generate', {
      success: [{ event: 'ok', on: 'success' }],
      failure: [{ event: 'no', on: 'failure' }],
      error: [{ event: 'boom', on: 'error' }],
    });
    const thrown = new Error('database went away');
    await expect(events.emitOutcome(definition, 'success', { data: 'D', error: 'E' }, {})).resolves.toBeUndefined();
    await expect(events.emitOutcome(definition, 'failure', { data: 'D', error: 'E' }, {})).resolves.toBeUndefined();
    await expect(events.emitOutcome(definition, 'error', thrown, {})).resolves.toBeUndefined();
    expect(calls).toEqual(['D', 'E', thrown]);
  });

  it("emitOutcome: a payload function gets the outcome and the args; a method name calls the service's method", async () => {
    const { events, handle, calls } = bus();
    handle('ok');
    const instance = Object.assign(new Notify(), {
      describe(this: { label: string }, outcome: { data: number }, args: { id: number }) {
        return `${this.label}:${outcome.data}:${args.id}`;
      },
      label: 'svc',
    });
    const definition = definitionOf(
      'reports.generate',
      {
        success: [
          {
            event: 'ok',
            on: 'success',
            payload: (outcome: { data: number }, args: { id: number }) => outcome.data + args.id,
          },
          { event: 'ok', on: 'success', payload: 'describe' },
        ],
      },
      instance,
    );
    await events.emitOutcome(definition, 'success', { data: 40 }, { id: 2 });
    expect(calls).toEqual([42, 'svc:40:2']);
  });

  it.each<[string, boolean]>([
    ['called', false],
    ['enqueued', true],
  ])('an @Invoke method may map asynchronously: the target gets the resolved arguments (%s)', async (status, async) => {
    const { events, handle, calls, enqueued } = bus();
    handle('mapped', async, (payload) => Promise.resolve({ wrapped: payload }));
    const report = await events.emit('mapped', 7);
    expect(async ? enqueued : calls).toEqual([{ wrapped: 7 }]);
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual([status]);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
  ])('an @Invoke method that maps to %s calls the target with it', async (_label, args) => {
    const { events, handle, calls } = bus();
    handle('empty', false, () => args);
    const report = await events.emit('empty', { any: 1 });
    expect(calls).toEqual([args]);
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(['called']);
  });

  it('emitOutcome: every event is emitted even when one fails; one failure rethrown as is, several as an EventInvocationsError', async () => {
    const { events, handle, calls } = bus();
    handle('ok');
    const failing = (n: number): EmitConfig => ({ event: 'ok', on: 'success', payload: () => ({ fail: `no ${n}` }) });
    const one = definitionOf('svc.one', { success: [failing(1), { event: 'ok', on: 'success' }] });
    await expect(events.emitOutcome(one, 'success', { data: 'fine' }, {})).rejects.toThrow(new Error('no 1'));
    expect(calls).toEqual([{ fail: 'no 1' }, 'fine']);

    const two = definitionOf('svc.two', { failure: [failing(1), failing(2)] });
    const rejection = events.emitOutcome(two, 'failure', { error: 'x' }, {});
    await expect(rejection).rejects.toThrow(EventInvocationsError);
    await expect(rejection).rejects.toThrow('2 invocations of event "svc.two failure" failed');
    await expect(rejection).rejects.toMatchObject({
      name: 'EventInvocationsError',
      errors: [new Error('no 1'), new Error('no 2')],
    });
  });

  it("emitOutcome with handlerErrors 'isolate': a payload function that throws is logged (escaped) under 'Servus', not thrown", async () => {
    const { events, handle, calls } = bus({ isolate: true });
    handle('ok');
    const definition = definitionOf('svc.iso', {
      success: [
        {
          event: 'ok',
          on: 'success',
          payload: () => {
            throw new Error('bad\npayload');
          },
        },
        { event: 'ok', on: 'success', payload: () => 'second' },
      ],
    });
    await expect(events.emitOutcome(definition, 'success', { data: 1 }, {})).resolves.toBeUndefined();
    expect(calls).toEqual(['second']);
    expect(error).toHaveBeenCalledWith('Payload of event ok from svc.iso failed: bad\\npayload');
    expect((error.mock.contexts[0] as { context?: string }).context).toBe('Servus');
  });

  it.each<[string, unknown, string]>([
    ['a string', 'plain text', 'plain text'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
  ])('isolate: a thrown value that is not an Error (%s) is logged as itself', async (_label, thrown, logged) => {
    const { events, handle } = bus({ isolate: true });
    handle('ok');
    const definition = definitionOf('svc.iso', {
      success: [
        {
          event: 'ok',
          on: 'success',
          payload: () => {
            throw thrown;
          },
        },
      ],
    });
    await events.emitOutcome(definition, 'success', { data: 1 }, {});
    expect(error).toHaveBeenCalledWith(`Payload of event ok from svc.iso failed: ${logged}`);
  });
});

describe('EventInvocationsError', () => {
  it('counts the failures and names the event', () => {
    const error = new EventInvocationsError('user.created', [new Error('a'), 'b']);
    expect(error.message).toBe('2 invocations of event "user.created" failed');
    expect(error.name).toBe('EventInvocationsError');
    expect(error.errors).toEqual([new Error('a'), 'b']);
  });
});

describe('event decorators', () => {
  it('@Emits needs an event name and an options object with a known trigger', () => {
    expect(() => Emits('', { on: 'success' })).toThrow(new TypeError('@Emits needs an event name'));
    expect(() => Emits('x', undefined as never)).toThrow(
      new TypeError("@Emits('x'): 'on' must be 'success', 'failure' or 'error', got undefined"),
    );
    expect(() => Emits('x', { on: 'done' as never })).toThrow(
      new TypeError(`@Emits('x'): 'on' must be 'success', 'failure' or 'error', got "done"`),
    );
  });

  it('@Emits stores its declarations in declaration order, nothing else', () => {
    const payload = () => 1;
    @Emits('a', { on: 'success', payload })
    @Emits('b', { on: 'error' })
    class Declared {}
    expect(Reflect.getOwnMetadata(EMITS_METADATA, Declared)).toEqual([
      { event: 'a', on: 'success', payload },
      { event: 'b', on: 'error', payload: undefined },
    ]);
    @Emits('only', { on: 'failure' })
    class One {}
    expect(Reflect.getOwnMetadata(EMITS_METADATA, One)).toEqual([{ event: 'only', on: 'failure', payload: undefined }]);
  });

  it('@EventHandler needs an event name; eventHandlerOf reads it back, undefined for anything else', () => {
    expect(() => EventHandler('')).toThrow(new TypeError('@EventHandler needs an event name'));
    const payload = { type: 'object' };
    @EventHandler('user.created', { payload })
    class OnCreated {}
    expect(eventHandlerOf(OnCreated)).toEqual({ event: 'user.created', payload });
    for (const value of [undefined, null, 'OnCreated', {}, class Plain {}])
      expect(eventHandlerOf(value)).toBeUndefined();
  });

  it('@Invoke needs a service class (one imported after use is undefined); invokeOf reads it back', () => {
    const descriptor = { value: () => undefined };
    expect(() => Invoke(undefined as never)({}, 'go', descriptor as TypedPropertyDescriptor<() => never>)).toThrow(
      new TypeError('@Invoke needs a service class (is it imported before use?)'),
    );
    Invoke(Notify, { async: true })({}, 'go', descriptor);
    expect(invokeOf(descriptor.value)).toEqual({ target: Notify, options: { async: true } });
    for (const value of [undefined, null, 'go', {}, () => undefined]) expect(invokeOf(value)).toBeUndefined();
  });
});

describe('HandlerBinder', () => {
  const services = new ServiceRegistry();
  const notify = definitionOf('notify');
  services.register(notify);
  const contracts = { compilePayload: () => undefined } as unknown as ContractCompiler;
  const binder = new HandlerBinder(new MetadataScanner(), services, contracts);

  it('binds the @Invoke methods only, with their call options apart from async/if/unless', () => {
    @EventHandler('user.created')
    class OnCreated {
      helper() {
        return 'not an invocation';
      }
      @Invoke(Notify, { async: true, queue: 'low', if: () => true })
      go(payload: unknown) {
        return payload;
      }
    }
    const binding = binder.bind(OnCreated, new OnCreated());
    expect(binding.name).toBe('OnCreated');
    expect(binding.event).toBe('user.created');
    expect(binding.invocations.map((invocation) => invocation.name)).toEqual(['OnCreated.go']);
    expect(binding.invocations[0].target).toBe(notify);
    expect(binding.invocations[0].callOptions).toEqual({ queue: 'low' });
    expect(binding.invocations[0].map({ id: 1 })).toEqual({ id: 1 });
  });

  it('refuses a handler without @Invoke methods', () => {
    @EventHandler('user.created')
    class Idle {
      helper() {
        return 1;
      }
    }
    expect(() => binder.bind(Idle, new Idle())).toThrow(new Error('Event handler Idle has no @Invoke methods.'));
  });
});
