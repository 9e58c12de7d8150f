import { ClassRef } from '../util/class-ref';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { EmitConfig, EmitTrigger } from '../events/emits.decorator';
import { EventRegistry, HandlerBinding, Invocation } from '../events/event-registry';
import { SERVUS_MODULE_OPTIONS } from '../module/servus.tokens';
import { ServusModuleOptions } from '../module/servus-options.interface';
import { Rescuer } from '../rescue/rescuer';
import { ContractCompiler } from '../validation/contract-compiler';
import { EntityLocator } from '../globalid/entity-locator.interface';
import { GlobalIds } from '../globalid/global-ids';
import { AnyService, ServiceBase } from './service-base';
import { ServiceDefinition } from './service-definition';
import { ServiceRegistry } from './service-registry';
import { ServusMetadataAccessor } from './servus-metadata.accessor';

/**
 * The one bootstrap hook: at module init it finds every `@Service()` provider (compiling
 * its rescues, contracts and events into a definition) and every `@EventHandler`, so all
 * is ready before any `onApplicationBootstrap` (where workers start). Mistakes fail the boot.
 */
@Injectable()
export class ServusExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: ServusMetadataAccessor,
    private readonly registry: ServiceRegistry,
    private readonly contracts: ContractCompiler,
    private readonly events: EventRegistry,
    private readonly globalIds: GlobalIds,
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: ServusModuleOptions,
  ) {}

  // A promise: a boot error becomes a rejection of init(), on Nest 11 as on 12 (11 lets a sync throw escape init()).
  onModuleInit(): Promise<void> {
    return new Promise((resolve) => resolve(this.explore()));
  }

  private explore(): void {
    const providers = this.discovery.getProviders();
    for (const wrapper of providers) {
      if (this.accessor.isService(wrapper.metatype as ClassRef)) this.registry.register(this.define(wrapper));
    }
    for (const wrapper of providers) {
      if (this.accessor.getEventHandler(wrapper.metatype as ClassRef)) this.events.add(this.bind(wrapper));
      if (this.accessor.isLocator(wrapper.metatype as ClassRef)) this.globalIds.register(this.locator(wrapper));
    }
    if (this.options.events?.strict !== false) this.checkEventsAreEmitted();
  }

  private define(wrapper: InstanceWrapper): ServiceDefinition {
    const type = wrapper.metatype as ServiceDefinition['type'];
    this.assertSingleton(wrapper, 'Service');
    if (!(wrapper.instance instanceof ServiceBase)) {
      throw new Error(`${type.name} is decorated with @Service() but does not extend ServiceBase.`);
    }
    const name = this.accessor.getServiceName(type);
    const options = this.accessor.getServiceOptions(type)!;
    return {
      name,
      type,
      instance: wrapper.instance as AnyService,
      options,
      rescuer: new Rescuer(this.accessor.getRescueConfigs(type), name),
      ...this.contracts.compile(name, options),
      emits: this.emitsOf(type, wrapper.instance),
    };
  }

  private emitsOf(type: ClassRef, instance: object): ServiceDefinition['emits'] {
    const configs = this.accessor.getEmits(type);
    if (!configs.length) return undefined;
    for (const { event, payload } of configs) {
      if (typeof payload === 'string' && typeof (instance as Record<string, unknown>)[payload] !== 'function') {
        throw new Error(
          `@Emits('${event}') on ${type.name}: payload method "${payload}" does not exist on the service.`,
        );
      }
    }
    const on = (trigger: EmitTrigger): EmitConfig[] => configs.filter((config) => config.on === trigger);
    return { success: on('success'), failure: on('failure'), error: on('error') };
  }

  private bind(wrapper: InstanceWrapper): HandlerBinding {
    const type = wrapper.metatype as ClassRef;
    this.assertSingleton(wrapper, 'Event handler');
    const { event, payload } = this.accessor.getEventHandler(type)!;
    const instance = wrapper.instance as Record<string, (payload: unknown) => unknown>;
    const proto = Object.getPrototypeOf(instance) as Record<string, (...args: never[]) => unknown>;
    const invocations = this.scanner.getAllMethodNames(proto).flatMap((method): Invocation[] => {
      const invoke = this.accessor.getInvoke(proto[method]);
      if (!invoke) return [];
      const target = this.registry.findByType(invoke.target);
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

  private locator(wrapper: InstanceWrapper): EntityLocator {
    const instance = wrapper.instance as EntityLocator;
    this.assertSingleton(wrapper, 'Locator');
    if (
      typeof instance?.types !== 'function' ||
      typeof instance.idOf !== 'function' ||
      typeof instance.locate !== 'function'
    ) {
      throw new Error(
        `${(wrapper.metatype as ClassRef).name} is decorated with @Locator() but does not implement EntityLocator (types, idOf, locate).`,
      );
    }
    return instance;
  }

  private checkEventsAreEmitted(): void {
    const emitted = new Set(
      this.registry
        .definitions()
        .flatMap(({ emits }) =>
          emits ? [...emits.success, ...emits.failure, ...emits.error].map((config) => config.event) : [],
        ),
    );
    for (const handler of this.events.all()) {
      if (!emitted.has(handler.event)) {
        throw new Error(
          `Event handler ${handler.name} listens to "${handler.event}", which no service emits (@Emits). Fix the name, or set events: { strict: false } to allow events emitted only through ServusEvents.`,
        );
      }
    }
  }

  private assertSingleton(wrapper: InstanceWrapper, what: string): void {
    if (!wrapper.isDependencyTreeStatic()) {
      throw new Error(
        `${what} ${(wrapper.metatype as ClassRef).name} must be a singleton: it (or a dependency) is request- or transient-scoped.`,
      );
    }
  }
}
