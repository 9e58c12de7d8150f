import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { Rescuer } from '../rescue/rescuer';
import { ContractCompiler } from '../validation/contract-compiler';
import { ServiceBase } from './service-base';
import { ServiceDefinition } from './service-definition';
import { ServiceRegistry } from './service-registry';
import { ServusMetadataAccessor } from './servus-metadata.accessor';

/**
 * Finds every `@Service()` provider of the application at module init and registers it,
 * so services are ready before any `onApplicationBootstrap` (where workers start).
 */
@Injectable()
export class ServusExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: ServusMetadataAccessor,
    private readonly registry: ServiceRegistry,
    private readonly contracts: ContractCompiler,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      if (this.accessor.isService(wrapper.metatype as Function)) this.registry.register(this.define(wrapper));
    }
  }

  private define(wrapper: InstanceWrapper): ServiceDefinition {
    const type = wrapper.metatype as ServiceDefinition['type'];
    if (!wrapper.isDependencyTreeStatic()) {
      throw new Error(`Service ${type.name} must be a singleton: it (or a dependency) is request- or transient-scoped.`);
    }
    if (!(wrapper.instance instanceof ServiceBase)) {
      throw new Error(`${type.name} is decorated with @Service() but does not extend ServiceBase.`);
    }
    const name = this.accessor.getServiceName(type);
    const options = this.accessor.getServiceOptions(type)!;
    return {
      name,
      type,
      instance: wrapper.instance,
      options,
      rescuer: new Rescuer(this.accessor.getRescueConfigs(type), name),
      ...this.contracts.compile(name, options),
    };
  }
}
