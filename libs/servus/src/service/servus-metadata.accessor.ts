import { ClassRef } from '../util/class-ref';
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

  getEventHandler(target: ClassRef | undefined): EventHandlerMetadata | undefined {
    return target
      ? (Reflect.getOwnMetadata(EVENT_HANDLER_METADATA, target) as EventHandlerMetadata | undefined)
      : undefined;
  }

  isLocator(target: ClassRef | undefined): boolean {
    return !!target && Reflect.hasOwnMetadata(LOCATOR_METADATA, target);
  }

  getInvoke(method: (...args: never[]) => unknown): InvokeMetadata | undefined {
    return Reflect.getMetadata(INVOKE_METADATA, method) as InvokeMetadata | undefined;
  }

  private collectInherited<T>(key: string, target: ClassRef): T[] {
    const configs: T[] = [];
    for (
      let type: object | null = target;
      type && type !== Function.prototype;
      type = Object.getPrototypeOf(type) as object | null
    ) {
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
