import { ClassRef } from '../util/class-ref';
import { Injectable } from '@nestjs/common';
import { ServiceDefinition } from './service-definition';
import { DuplicateServiceNameError } from './duplicate-service-name.error';

/**
 * The services discovered at bootstrap, by class and by name. The name index is the
 * worker's allow-list: a job can only run what is here.
 */
@Injectable()
export class ServiceRegistry {
  private readonly byName = new Map<string, ServiceDefinition>();
  private readonly byType = new Map<ClassRef, ServiceDefinition>();

  register(definition: ServiceDefinition): void {
    const existing = this.byName.get(definition.name);
    if (existing && existing.type !== definition.type) {
      throw new DuplicateServiceNameError(definition.name, existing.type, definition.type);
    }
    this.byName.set(definition.name, definition);
    this.byType.set(definition.type, definition);
  }

  findByName(name: string): ServiceDefinition | undefined {
    // Map lookup on an own key: '__proto__' or 'constructor' cannot reach Object.prototype.
    return this.byName.get(name);
  }

  findByType(type: ClassRef): ServiceDefinition | undefined {
    return this.byType.get(type);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  definitions(): ServiceDefinition[] {
    return [...this.byName.values()];
  }
}
