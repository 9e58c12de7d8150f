import { Injectable, Type } from '@nestjs/common';
import { RESCUE_FROM_METADATA, SERVICE_METADATA } from '../servus.constants';
import { RescueConfig } from '../rescue/rescue-from.decorator';
import { ServiceOptions } from './service-options.interface';

/** The only reader of Servus metadata (as @nestjs/bullmq's BullMetadataAccessor). */
@Injectable()
export class ServusMetadataAccessor {
  isService(target: Function | undefined): boolean {
    return !!target && Reflect.hasOwnMetadata(SERVICE_METADATA, target);
  }

  getServiceOptions(target: Function): ServiceOptions | undefined {
    return Reflect.getOwnMetadata(SERVICE_METADATA, target);
  }

  /** Own declarations first, then each ancestor's: the first match wins. */
  getRescueConfigs(target: Function): RescueConfig[] {
    const configs: RescueConfig[] = [];
    for (let type: Function | null = target; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
      const own: RescueConfig[] | undefined = Reflect.getOwnMetadata(RESCUE_FROM_METADATA, type);
      if (own) configs.push(...own);
    }
    return configs;
  }

  /** The name a service class registers under. */
  getServiceName(target: Type | Function): string {
    return this.getServiceOptions(target)?.name ?? target.name;
  }
}
