import { ClassRef } from '../util/class-ref';
import { Injectable, Type } from '@nestjs/common';
import { EMITS_METADATA, RESCUE_FROM_METADATA, SERVICE_METADATA } from '../servus.constants';
import { EmitConfig } from './emit-config';
import { RescueConfig } from '../rescue/rescue-from.decorator';
import { ServiceOptions } from './service-options.interface';

/** Reads what `@Service`, `@RescueFrom` and `@Emits` declare on a service class (events and globalid read their own). */
@Injectable()
export class ServusMetadataAccessor {
  isService(target: ClassRef | undefined): boolean {
    return !!target && Reflect.hasOwnMetadata(SERVICE_METADATA, target);
  }

  getServiceOptions(target: ClassRef): ServiceOptions | undefined {
    return Reflect.getOwnMetadata(SERVICE_METADATA, target) as ServiceOptions | undefined;
  }

  /** Own declarations first, then each ancestor's: the first match wins. */
  getRescueConfigs(target: ClassRef): RescueConfig[] {
    return this.collectInherited<RescueConfig>(RESCUE_FROM_METADATA, target);
  }

  /** `@Emits` declarations, own first, then inherited. */
  getEmits(target: ClassRef): EmitConfig[] {
    return this.collectInherited<EmitConfig>(EMITS_METADATA, target);
  }

  private collectInherited<T>(key: string, target: ClassRef): T[] {
    const configs: T[] = [];
    // Up to null: Function.prototype and Object.prototype hold no Servus metadata (two lookups, once per service at boot).
    for (let type: object | null = target; type !== null; type = Object.getPrototypeOf(type) as object | null) {
      const own = Reflect.getOwnMetadata(key, type) as T[] | undefined;
      if (own) configs.push(...own);
    }
    return configs;
  }

  /** The name a service class registers under. */
  getServiceName(target: Type | ClassRef): string {
    return this.getServiceOptions(target)?.name ?? target.name;
  }
}
