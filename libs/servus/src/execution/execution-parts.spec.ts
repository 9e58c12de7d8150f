import { REDACTED } from './redact';
import { EmitPort, OutcomeEmitter } from './emit-port';
import { EventEmitError } from './event-emit.error';
import { Redactor } from './redactor';
import { ServiceDefinition } from '../service/service-definition';
import { UndecodablePayloadError } from './undecodable-payload.error';

describe('Redactor', () => {
  it('masks the default keys and secret-looking values, without logging options', () => {
    const redact = new Redactor({}).redact;
    expect(redact({ user: 'ada', password: 'p', note: 'Bearer abcdefgh12345678' })).toEqual({
      user: 'ada',
      password: REDACTED,
      note: `Bearer ${REDACTED}`,
    });
    expect(new Redactor({ logging: false }).redact({ token: 't', user: 'u' })).toEqual({ token: REDACTED, user: 'u' });
    expect(new Redactor({ logging: {} }).redact({ apiKey: 'k' })).toEqual({ apiKey: REDACTED });
  });

  it('logging.redact adds keys to the defaults, never replaces them', () => {
    const redact = new Redactor({ logging: { redact: ['user', /^x-/] } }).redact;
    expect(redact({ user: 'ada', password: 'p', 'x-tenant': 't', name: 'n' })).toEqual({
      user: REDACTED,
      password: REDACTED,
      'x-tenant': REDACTED,
      name: 'n',
    });
  });
});

describe('EmitPort', () => {
  const definition = { name: 'svc' } as ServiceDefinition;

  it('emits nothing (and resolves) before a bus connects', async () => {
    await expect(new EmitPort().emitOutcome(definition, 'success', {}, {})).resolves.toBeUndefined();
  });

  it('hands each outcome to the connected bus, and passes its rejection on', async () => {
    const port = new EmitPort();
    const seen: unknown[][] = [];
    const failure = new Error('handler down');
    const bus: OutcomeEmitter = {
      emitOutcome: (...args) => (seen.push(args), args[1] === 'error' ? Promise.reject(failure) : Promise.resolve()),
    };
    port.connect(bus);
    const outcome = { success: true };
    const args = { id: 1 };
    await expect(port.emitOutcome(definition, 'success', outcome, args)).resolves.toBeUndefined();
    await expect(port.emitOutcome(definition, 'error', outcome, args)).rejects.toBe(failure);
    expect(seen).toEqual([
      [definition, 'success', outcome, args],
      [definition, 'error', outcome, args],
    ]);
  });
});

describe('EventEmitError', () => {
  it('names the service, the trigger and the cause; keeps the cause; is not a ServiceError', () => {
    const cause = new RangeError('handler down');
    const error = new EventEmitError('orders.place', 'success', cause);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('EventEmitError');
    expect(error.message).toBe("orders.place ran, but its 'success' events failed: RangeError: handler down");
    expect(error.cause).toBe(cause);
    expect(error.service).toBe('orders.place');
    expect(error.trigger).toBe('success');
    expect('code' in error).toBe(false);
    expect(new EventEmitError('s', 'failure', 'plain').message).toBe("s ran, but its 'failure' events failed: plain");
  });
});

describe('UndecodablePayloadError', () => {
  it('says the payload cannot be read, and why', () => {
    const error = new UndecodablePayloadError('not JSON');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UndecodablePayloadError');
    expect(error.message).toBe('Undecodable job payload: not JSON');
  });
});
