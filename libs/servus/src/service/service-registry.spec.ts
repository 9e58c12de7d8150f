import { Type } from '@nestjs/common';
import { ServiceBase } from 'nestjs-servus';
import { DuplicateServiceNameError, ServiceDefinition, ServiceRegistry } from 'nestjs-servus/extend';
import { Rescuer } from '../rescue/rescuer';

class Noop extends ServiceBase {
  call() {
    return this.success(null);
  }
}
class SendInvoice extends Noop {}
class SendReceipt extends Noop {}
class ArchiveReport extends Noop {}

function definition(name: string, type: Type<ServiceBase>): ServiceDefinition {
  return { name, type, instance: new type(), options: {}, rescuer: new Rescuer([], name) };
}

describe('ServiceRegistry', () => {
  let registry: ServiceRegistry;
  beforeEach(() => {
    registry = new ServiceRegistry();
  });

  it('finds a registered service by name and by class', () => {
    const invoice = definition('billing.send-invoice', SendInvoice);
    registry.register(invoice);
    expect(registry.findByName('billing.send-invoice')).toBe(invoice);
    expect(registry.findByType(SendInvoice)).toBe(invoice);
  });

  it('lists the registered names in registration order', () => {
    registry.register(definition('b', SendInvoice));
    registry.register(definition('a', SendReceipt));
    expect(registry.names()).toEqual(['b', 'a']);
  });

  it('lists the registered definitions in registration order', () => {
    const b = definition('b', SendInvoice);
    const a = definition('a', SendReceipt);
    registry.register(b);
    registry.register(a);
    expect(registry.definitions()).toEqual([b, a]);
    expect(new ServiceRegistry().definitions()).toEqual([]);
  });

  it('answers undefined for a name or a class it does not know', () => {
    registry.register(definition('billing.send-invoice', SendInvoice));
    expect(registry.findByName('billing.send-receipt')).toBeUndefined();
    expect(registry.findByName('')).toBeUndefined();
    expect(registry.findByType(SendReceipt)).toBeUndefined();
    expect(registry.findByType(Object)).toBeUndefined();
  });

  it('is not fooled by names of Object.prototype members (the worker looks up names from Redis)', () => {
    registry.register(definition('billing.send-invoice', SendInvoice));
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      expect(registry.findByName(name)).toBeUndefined();
    }
    expect(registry.names()).toEqual(['billing.send-invoice']);
  });

  it('stores even a service named "__proto__" as an ordinary entry', () => {
    const odd = definition('__proto__', ArchiveReport);
    registry.register(odd);
    expect(registry.findByName('__proto__')).toBe(odd);
    expect(registry.findByName('constructor')).toBeUndefined();
  });

  it('accepts the same class registered twice under its name', () => {
    registry.register(definition('billing.send-invoice', SendInvoice));
    expect(() => registry.register(definition('billing.send-invoice', SendInvoice))).not.toThrow();
    expect(registry.names()).toEqual(['billing.send-invoice']);
  });

  it('refuses a second class under a taken name, naming both classes, and keeps the first', () => {
    const first = definition('billing.send', SendInvoice);
    registry.register(first);
    expect(() => registry.register(definition('billing.send', SendReceipt))).toThrow(DuplicateServiceNameError);
    expect(() => registry.register(definition('billing.send', SendReceipt))).toThrow(
      expect.objectContaining({ name: 'DuplicateServiceNameError' }),
    );
    expect(() => registry.register(definition('billing.send', SendReceipt))).toThrow(
      'Two services are registered as "billing.send": SendInvoice and SendReceipt. Give one a distinct @Service({ name }).',
    );
    expect(registry.findByName('billing.send')).toBe(first);
    expect(registry.findByType(SendReceipt)).toBeUndefined();
  });
});
