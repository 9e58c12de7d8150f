import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { EventRegistry } from '../events/event-registry';
import { HandlerBinder } from '../events/handler-binder';
import { ServiceDefiner } from '../execution/service-definer';
import { GlobalIds } from '../globalid/global-ids';
import { isLocator } from '../globalid/locator.decorator';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServiceRegistry } from '../service/service-registry';
import { ClassRef } from '../util/class-ref';
import { ContractCompiler } from '../validation/contract-compiler';
import { checkContractCoverage } from '../validation/contract-coverage';
import { ServusModuleOptions } from './servus-options.interface';

/**
 * The one bootstrap hook: at module init it hands every `@Service()` provider to the service
 * registry (through the definer), then every `@EventHandler` and `@Locator()` to theirs, so
 * all is ready before any `onApplicationBootstrap` (where workers start). Mistakes fail the boot.
 */
@Injectable()
export class ServusExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly definer: ServiceDefiner,
    private readonly services: ServiceRegistry,
    private readonly binder: HandlerBinder,
    private readonly events: EventRegistry,
    private readonly globalIds: GlobalIds,
    private readonly contracts: ContractCompiler,
    @Inject(SERVUS_MODULE_OPTIONS) private readonly options: ServusModuleOptions,
  ) {}

  // A promise: a boot error becomes a rejection of init(), on Nest 11 as on 12 (11 lets a sync throw escape init()).
  onModuleInit(): Promise<void> {
    return new Promise((resolve) => resolve(this.explore()));
  }

  private explore(): void {
    const providers = this.discovery.getProviders();
    for (const wrapper of providers) {
      const type = wrapper.metatype;
      if (!this.definer.isService(type)) continue;
      this.assertSingleton(wrapper, 'Service');
      this.services.register(this.definer.define(type, wrapper.instance));
    }
    for (const wrapper of providers) {
      const type = wrapper.metatype;
      if (this.binder.isHandler(type)) {
        this.assertSingleton(wrapper, 'Event handler');
        this.events.add(this.binder.bind(type, wrapper.instance as object));
      }
      if (isLocator(type)) {
        this.assertSingleton(wrapper, 'Locator');
        this.globalIds.registerProvider(type as ClassRef, wrapper.instance);
      }
    }
    if (this.options.events?.strict !== false) this.binder.checkEmitted(this.events.all());
    const { contracts, logging } = this.options;
    checkContractCoverage(this.services.definitions(), contracts, this.contracts.schemasDir, logging !== false);
  }

  private assertSingleton(wrapper: InstanceWrapper, what: string): void {
    if (!wrapper.isDependencyTreeStatic()) {
      throw new Error(
        `${what} ${(wrapper.metatype as ClassRef).name} must be a singleton: it (or a dependency) is request- or transient-scoped.`,
      );
    }
  }
}
