import { Injectable, Type } from '@nestjs/common';
import {
  EMITS_METADATA,
  EVENT_HANDLER_METADATA,
  INVOKE_METADATA,
  LOCATOR_METADATA,
  RESCUE_FROM_METADATA,
  SERVICE_METADATA,
} from '../servus.constants';
import { EmitConfig } from '../events/emits.decorator';
import { EventHandlerMetadata } from '../events/event-handler.decorator';
import { InvokeMetadata } from '../events/invoke.decorator';
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
    return this.collectInherited<RescueConfig>(RESCUE_FROM_METADATA, target);
  }

  /** `@Emits` declarations, own first, then inherited. */
  getEmits(target: Function): EmitConfig[] {
    return this.collectInherited<EmitConfig>(EMITS_METADATA, target);
  }

  getEventHandler(target: Function | undefined): EventHandlerMetadata | undefined {
    return target ? Reflect.getOwnMetadata(EVENT_HANDLER_METADATA, target) : undefined;
  }

  isLocator(target: Function | undefined): boolean {
    return !!target && Reflect.hasOwnMetadata(LOCATOR_METADATA, target);
  }

  getInvoke(method: Function): InvokeMetadata | undefined {
    return Reflect.getMetadata(INVOKE_METADATA, method);
  }

  private collectInherited<T>(key: string, target: Function): T[] {
    const configs: T[] = [];
    for (let type: Function | null = target; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
      const own: T[] | undefined = Reflect.getOwnMetadata(key, type);
      if (own) configs.push(...own);
    }
    return configs;
  }

  /** The name a service class registers under. */
  getServiceName(target: Type | Function): string {
    return this.getServiceOptions(target)?.name ?? target.name;
  }
}
