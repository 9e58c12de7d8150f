import { Injectable } from '@nestjs/common';
import { ServiceDefinition } from '../service/service-definition';
import { Contract } from '../service/contract.interface';
import { InvokeOptions } from './invoke.decorator';

/** One `@Invoke` method, bound to its handler instance and its target service. */
export interface Invocation {
  /** 'ReportGeneratedHandler.notify', for logs and reports. */
  readonly name: string;
  readonly target: ServiceDefinition;
  readonly options: InvokeOptions;
  /** payload -> the target's arguments */
  readonly map: (payload: unknown) => unknown;
  /** The callAsync options of the invocation (no async/if/unless). */
  readonly callOptions: InvokeOptions;
}

/** An `@EventHandler` class as discovered at boot. */
export interface HandlerBinding {
  readonly name: string;
  readonly event: string;
  readonly payload?: Contract;
  readonly invocations: readonly Invocation[];
}

const NONE: readonly HandlerBinding[] = Object.freeze([]);

/** Event handlers by event name, in discovery order. */
@Injectable()
export class EventRegistry {
  private readonly byEvent = new Map<string, HandlerBinding[]>();

  add(binding: HandlerBinding): void {
    const list = this.byEvent.get(binding.event) ?? [];
    list.push(binding);
    this.byEvent.set(binding.event, list);
  }

  handlersOf(event: string): readonly HandlerBinding[] {
    return this.byEvent.get(event) ?? NONE;
  }

  all(): HandlerBinding[] {
    return [...this.byEvent.values()].flat();
  }
}
