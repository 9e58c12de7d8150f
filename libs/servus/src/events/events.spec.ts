import { Injectable, Logger, Module, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Emits,
  EventHandler,
  Invoke,
  JobEnqueueError,
  NotFoundError,
  Service,
  ServiceBase,
  ServusEvents,
  ServusExecutor,
  ServusModule,
  ServusModuleOptions,
  ValidationError,
} from 'nestjs-servus';
import { EventEmitError, EventInvocationsError } from 'nestjs-servus/extend';

/** What the invoked services saw, in order. */
@Injectable()
class Journal {
  entries: Array<[string, unknown]> = [];
}

// @Injectable() only to emit the constructor's parameter types, which the subclasses inherit.
@Injectable()
abstract class Recording extends ServiceBase<any, null> {
  constructor(private readonly journal: Journal) {
    super();
  }
  async call(args: unknown) {
    this.journal.entries.push([this.constructor.name, args]);
    return this.success(null);
  }
}

@Service()
class SendWelcome extends Recording {}
@Service()
class GrantBonus extends Recording {}
@Service()
class AskForFeedback extends Recording {}
@Service()
class TrackSignup extends Recording {}
@Service()
class FileComplaint extends Recording {}
@Service()
class PageOnCall extends Recording {}
@Service()
class AuditTrail extends Recording {}

@Service()
class Boom extends ServiceBase<{ why: string }, null> {
  async call({ why }: { why: string }): Promise<never> {
    throw new RangeError(`boom: ${why}`);
  }
}

interface SignupArgs {
  email: string;
  vip?: boolean;
  mode?: 'ok' | 'reject' | 'crash';
}

@Service({ name: 'users.create' })
@Emits('user.created', { on: 'success' })
@Emits('user.audited', {
  on: 'success',
  payload: (response, args) => ({ action: 'create', email: args.email, id: response.data.id }),
})
@Emits('user.rejected', { on: 'failure' })
@Emits('user.crashed', { on: 'error', payload: 'crashPayload' })
class CreateUser extends ServiceBase<SignupArgs, { id: number; email: string; vip: boolean }> {
  async call({ email, vip = false, mode = 'ok' }: SignupArgs) {
    if (mode === 'reject') return this.failure(`${email} is taken`, NotFoundError);
    if (mode === 'crash') this.raise('database went away');
    return this.success({ id: 1, email, vip });
  }
  crashPayload(error: Error, args: SignupArgs) {
    return { email: args.email, reason: error.message };
  }
}

@Service({ name: 'boom.trigger' })
@Emits('boom.requested', { on: 'success' })
class TriggerBoom extends ServiceBase<{ times: number }, { times: number }> {
  async call(args: { times: number }) {
    return this.success(args);
  }
}

@EventHandler('user.created')
class UserCreatedHandler {
  @Invoke(SendWelcome)
  welcome(user: { email: string }) {
    return { to: user.email };
  }

  @Invoke(GrantBonus, { if: (user: { vip: boolean }) => user.vip })
  bonus(user: { id: number }) {
    return { userId: user.id, amount: 10 };
  }

  @Invoke(AskForFeedback, { unless: (user: { vip: boolean }) => user.vip })
  feedback(user: { id: number }) {
    return { userId: user.id };
  }
}

@EventHandler('user.created')
class AnalyticsHandler {
  @Invoke(TrackSignup)
  track(user: { id: number }) {
    return { event: 'signup', userId: user.id };
  }
}

@EventHandler('user.rejected')
class RejectedHandler {
  @Invoke(FileComplaint)
  complain(error: NotFoundError) {
    return { code: error.code, message: error.message };
  }
}

@EventHandler('user.crashed')
class CrashedHandler {
  @Invoke(PageOnCall)
  page(payload: { email: string; reason: string }) {
    return payload;
  }
}

@EventHandler('user.audited', {
  payload: {
    type: 'object',
    required: ['action', 'email'],
    properties: { action: { enum: ['create', 'delete'] }, email: { type: 'string', format: 'email' } },
  },
})
class AuditHandler {
  @Invoke(AuditTrail)
  audit(payload: { action: string; email: string }) {
    return payload;
  }
}

@EventHandler('boom.requested')
class BoomHandler {
  @Invoke(Boom)
  first(payload: { times: number }) {
    return { why: `first of ${payload.times}` };
  }

  @Invoke(SendWelcome)
  stillRuns() {
    return { to: 'after-boom@example.com' };
  }

  @Invoke(Boom, { if: (payload: { times: number }) => payload.times > 1 })
  second(payload: { times: number }) {
    return { why: `second of ${payload.times}` };
  }
}

const TARGETS = [SendWelcome, GrantBonus, AskForFeedback, TrackSignup, FileComplaint, PageOnCall, AuditTrail, Boom];
const HANDLERS = [UserCreatedHandler, AnalyticsHandler, RejectedHandler, CrashedHandler, AuditHandler, BoomHandler];

async function boot(options: ServusModuleOptions = {}, extra: Type[] = []) {
  @Module({ providers: [Journal, CreateUser, TriggerBoom, ...TARGETS, ...HANDLERS, ...extra] })
  class EventsFixtureModule {}
  const moduleRef = await Test.createTestingModule({
    imports: [ServusModule.forRoot({ logging: false, ...options }), EventsFixtureModule],
  }).compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}

describe('events', () => {
  let app: Awaited<ReturnType<typeof boot>>;
  let executor: ServusExecutor;
  let journal: Journal;

  beforeEach(async () => {
    app = await boot();
    executor = app.get(ServusExecutor);
    journal = app.get(Journal);
  });
  afterEach(() => app?.close());

  it('on success: every handler of the event runs its invocations in declaration order, with mapped arguments', async () => {
    const response = await executor.call(CreateUser, { email: 'ada@example.com' });
    expect(response.success).toBe(true);
    expect(journal.entries).toEqual([
      ['SendWelcome', { to: 'ada@example.com' }],
      ['AskForFeedback', { userId: 1 }],
      ['TrackSignup', { event: 'signup', userId: 1 }],
      ['AuditTrail', { action: 'create', email: 'ada@example.com', id: 1 }],
    ]);
  });

  it('if / unless decide which invocations run', async () => {
    await executor.call(CreateUser, { email: 'vip@example.com', vip: true });
    const names = journal.entries.map(([name]) => name);
    expect(names).toContain('GrantBonus');
    expect(names).not.toContain('AskForFeedback');
  });

  it('on failure: the default payload is the error', async () => {
    const response = await executor.call(CreateUser, { email: 'taken@example.com', mode: 'reject' });
    expect(response.success).toBe(false);
    expect(journal.entries).toEqual([['FileComplaint', { code: 'not_found', message: 'taken@example.com is taken' }]]);
  });

  it("on error: fires before the exception propagates, payload from the service's named method", async () => {
    const attempt = executor.call(CreateUser, { email: 'x@example.com', mode: 'crash' });
    await expect(attempt).rejects.toThrow('database went away');
    expect(journal.entries).toEqual([['PageOnCall', { email: 'x@example.com', reason: 'database went away' }]]);
  });

  it('emits directly through ServusEvents, reporting each invocation', async () => {
    const report = await app.get(ServusEvents).emit('user.created', { id: 5, email: 'direct@example.com', vip: true });
    expect(report.outcomes.map(({ invocation, status }) => [invocation, status])).toEqual([
      ['UserCreatedHandler.welcome', 'called'],
      ['UserCreatedHandler.bonus', 'called'],
      ['UserCreatedHandler.feedback', 'skipped'],
      ['AnalyticsHandler.track', 'called'],
    ]);
    expect(report.outcomes[0].response?.success).toBe(true);
  });

  it("rejects a payload that breaks the handler's schema with a ValidationError naming the field", async () => {
    const events = app.get(ServusEvents);
    await expect(events.emit('user.audited', { action: 'drop', email: 'not-an-email' })).rejects.toThrow(
      new ValidationError(
        'Invalid payload of user.audited for AuditHandler: action must be one of create, delete (enum); email must match format "email" (format)',
      ),
    );
    expect(journal.entries).toEqual([]);
  });

  it('an event nobody handles is a no-op', async () => {
    expect(await app.get(ServusEvents).emit('nobody.listens', {})).toEqual({ event: 'nobody.listens', outcomes: [] });
  });

  describe("handler failures (default 'propagate', as Servus)", () => {
    it("reject the emitter's call with an EventEmitError carrying the invocation's exception, after the other invocations ran", async () => {
      const error = await executor.call(TriggerBoom, { times: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(EventEmitError);
      expect(error.message).toBe("boom.trigger ran, but its 'success' events failed: RangeError: boom: first of 1");
      expect(error.cause).toEqual(new RangeError('boom: first of 1'));
      expect(journal.entries).toEqual([['SendWelcome', { to: 'after-boom@example.com' }]]);
    });

    it("ServusEvents.emit itself rejects with the invocation's own exception", async () => {
      await expect(app.get(ServusEvents).emit('boom.requested', { times: 1 })).rejects.toThrow(
        new RangeError('boom: first of 1'),
      );
    });

    it('several failures reject with an EventInvocationsError holding each', async () => {
      const error = await app
        .get(ServusEvents)
        .emit('boom.requested', { times: 2 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(EventInvocationsError);
      expect(error.errors.map((e: Error) => e.message)).toEqual(['boom: first of 2', 'boom: second of 2']);
    });

    it('an async invocation that cannot be enqueued surfaces JobEnqueueError', async () => {
      @EventHandler('user.created')
      class BadQueueHandler {
        @Invoke(SendWelcome, { async: true, queue: 'nowhere' })
        later(user: { email: string }) {
          return { to: user.email };
        }
      }
      const other = await boot({}, [BadQueueHandler]);
      const error = await other
        .get(ServusExecutor)
        .call(CreateUser, { email: 'q@example.com' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(EventEmitError);
      expect(error.cause).toBeInstanceOf(JobEnqueueError);
      await other.close();
    });
  });

  describe("handler failures with handlerErrors: 'isolate'", () => {
    it("are logged and reported; the emitter's call keeps its response", async () => {
      const isolated = await boot({ events: { handlerErrors: 'isolate' } });
      const errors: string[] = [];
      const spy = jest
        .spyOn(Logger.prototype, 'error')
        .mockImplementation((message: unknown) => void errors.push(String(message)));
      try {
        const response = await isolated.get(ServusExecutor).call(TriggerBoom, { times: 1 });
        expect(response.success && response.data).toEqual({ times: 1 });
        const report = await isolated.get(ServusEvents).emit('boom.requested', { times: 2 });
        expect(report.outcomes.map((o) => o.status)).toEqual(['failed', 'called', 'failed']);
        expect(errors).toContain('Event invocation BoomHandler.first -> Boom failed: RangeError: boom: first of 1');
      } finally {
        spy.mockRestore();
        await isolated.close();
      }
    });
  });

  describe('boot checks', () => {
    it('a handler of an event no service emits fails the boot, naming handler and event', async () => {
      @EventHandler('user.craeted')
      class TypoHandler {
        @Invoke(SendWelcome)
        welcome() {
          return {};
        }
      }
      await expect(boot({}, [TypoHandler])).rejects.toThrow(
        'Event handler TypoHandler listens to "user.craeted", which no service emits (@Emits).',
      );
      const relaxed = await boot({ events: { strict: false } }, [TypoHandler]);
      await relaxed.close();
    });

    it('an @Invoke of a class that is not a registered service fails the boot', async () => {
      class NotAService {}
      @EventHandler('user.created')
      class WrongTarget {
        @Invoke<any>(NotAService as any)
        go() {
          return {};
        }
      }
      await expect(boot({}, [WrongTarget])).rejects.toThrow(
        'WrongTarget.go invokes NotAService, which is not a registered service',
      );
    });

    it('an @Emits payload naming a missing method fails the boot', async () => {
      @Service({ name: 'bad.emits' })
      @Emits('user.created', { on: 'success', payload: 'nope' })
      class BadEmits extends ServiceBase<unknown, null> {
        call() {
          return this.success(null);
        }
      }
      await expect(boot({}, [BadEmits])).rejects.toThrow(
        `@Emits('user.created') on BadEmits: payload method "nope" does not exist on the service.`,
      );
    });

    it('@Emits refuses an unknown trigger at declaration', () => {
      expect(() => Emits('x', { on: 'done' as never })).toThrow("'on' must be 'success', 'failure' or 'error'");
    });
  });
});
