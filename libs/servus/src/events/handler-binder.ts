import { Injectable } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import { ServiceRegistry } from '../service/service-registry';
import { ClassRef } from '../util/class-ref';
import { ContractCompiler } from '../validation/contract-compiler';
import { eventHandlerOf } from './event-handler.decorator';
import { HandlerBinding, Invocation } from './event-registry';
import { invokeOf } from './invoke.decorator';

/**
 * Binds a discovered `@EventHandler` to the services its `@Invoke` methods target (registered
 * before handlers are bound), with its payload contract compiled. Mistakes throw (they fail the boot).
 */
@Injectable()
export class HandlerBinder {
  constructor(
    private readonly scanner: MetadataScanner,
    private readonly services: ServiceRegistry,
    private readonly contracts: ContractCompiler,
  ) {}

  isHandler(type: unknown): type is ClassRef {
    return eventHandlerOf(type) !== undefined;
  }

  bind(type: ClassRef, handler: object): HandlerBinding {
    const { event, payload } = eventHandlerOf(type)!;
    const instance = handler as Record<string, (payload: unknown) => unknown>;
    const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
    const invocations = this.scanner.getAllMethodNames(proto).flatMap((method): Invocation[] => {
      const invoke = invokeOf(proto[method]);
      if (!invoke) return [];
      const target = this.services.findByType(invoke.target);
      if (!target)
        throw new Error(
          `${type.name}.${method} invokes ${invoke.target.name}, which is not a registered service (@Service() in a module's providers).`,
        );
      const { async: _async, if: _if, unless: _unless, ...callOptions } = invoke.options;
      return [
        {
          name: `${type.name}.${method}`,
          target,
          options: invoke.options,
          callOptions,
          map: (data) => instance[method](data),
        },
      ];
    });
    if (!invocations.length) throw new Error(`Event handler ${type.name} has no @Invoke methods.`);
    return { name: type.name, event, payload: this.contracts.compilePayload(type.name, payload), invocations };
  }

  /** Strict events: a handler of an event no registered service declares with `@Emits` is a mistake. */
  checkEmitted(handlers: readonly HandlerBinding[]): void {
    const emitted = new Set(
      this.services
        .definitions()
        .flatMap(({ emits }) =>
          emits ? [...emits.success, ...emits.failure, ...emits.error].map((config) => config.event) : [],
        ),
    );
    for (const handler of handlers) {
      if (!emitted.has(handler.event)) {
        throw new Error(
          `Event handler ${handler.name} listens to "${handler.event}", which no service emits (@Emits). Fix the name, or set events: { strict: false } to allow events emitted only through ServusEvents.`,
        );
      }
    }
  }
}
