import { Injectable } from '@nestjs/common';
import { Rescuer } from '../rescue/rescuer';
import { EmitConfig, EmitTrigger } from '../service/emit-config';
import { AnyService, ServiceBase } from '../service/service-base';
import { ServiceDefinition } from '../service/service-definition';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ClassRef } from '../util/class-ref';
import { ContractCompiler } from '../validation/contract-compiler';

/**
 * Turns a discovered `@Service()` provider into the definition the pipeline runs: its
 * rescues, contracts and events compiled once, at boot. Mistakes throw (they fail the boot).
 */
@Injectable()
export class ServiceDefiner {
  constructor(
    private readonly accessor: ServusMetadataAccessor,
    private readonly contracts: ContractCompiler,
  ) {}

  isService(type: unknown): type is ServiceDefinition['type'] {
    return typeof type === 'function' && this.accessor.isService(type as ClassRef);
  }

  define(type: ServiceDefinition['type'], instance: unknown): ServiceDefinition {
    if (!(instance instanceof ServiceBase)) {
      throw new Error(`${type.name} is decorated with @Service() but does not extend ServiceBase.`);
    }
    const name = this.accessor.getServiceName(type);
    const options = this.accessor.getServiceOptions(type)!;
    return {
      name,
      type,
      instance: instance as AnyService,
      options,
      rescuer: new Rescuer(this.accessor.getRescueConfigs(type), name),
      ...this.contracts.compile(name, options),
      emits: this.emitsOf(type, instance),
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
}
