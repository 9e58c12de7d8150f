import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { FlowControl, FlowKeys, FlowTicket } from '../async/flow-control.port';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { flowKeysOf } from './flow-keys';
import { limitsOf } from './flow-limits';

const NO_SLOT: FlowTicket = { release: () => Promise.resolve() };

/**
 * Flow control without Redis, for ServusTestingModule: keys are computed at enqueue exactly as in
 * production (same checks, same JobEnqueueError), and every job is admitted: the test queue's
 * drain() applies the limits itself (see ServusTestQueue).
 */
@Injectable()
export class LocalFlowControl implements FlowControl, OnApplicationBootstrap {
  constructor(private readonly registry: ServiceRegistry) {}

  /** A bad declaration fails the boot, as in production. */
  onApplicationBootstrap(): void {
    for (const definition of this.registry.definitions()) limitsOf(definition);
  }

  keysOf(definition: ServiceDefinition, args: unknown): FlowKeys | undefined {
    return flowKeysOf(definition, args);
  }

  admit(): Promise<FlowTicket> {
    return Promise.resolve(NO_SLOT);
  }

  /** No worker and no delayed set here: nothing to watch. */
  lostWakeupCheckMs(): undefined {
    return undefined;
  }
}
