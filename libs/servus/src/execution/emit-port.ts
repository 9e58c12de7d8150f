import { Injectable } from '@nestjs/common';
import { EmitTrigger } from '../service/emit-config';
import { ServiceDefinition } from '../service/service-definition';

/** What the pipeline needs of an event bus: emit the events a service declares for one outcome. */
export interface OutcomeEmitter {
  /** Rejects when an event failed (the pipeline turns that into an EventEmitError). */
  emitOutcome(definition: ServiceDefinition, trigger: EmitTrigger, outcome: unknown, args: unknown): Promise<void>;
}

/**
 * The pipeline's emit port. The event bus calls services through the executor, whose pipeline
 * emits through the bus: a loop no constructor can close, so the bus connects itself here when
 * Nest builds it. Before that (or without a bus) nothing is emitted: no handler exists either.
 */
@Injectable()
export class EmitPort implements OutcomeEmitter {
  private emitter?: OutcomeEmitter;

  connect(emitter: OutcomeEmitter): void {
    this.emitter = emitter;
  }

  emitOutcome(definition: ServiceDefinition, trigger: EmitTrigger, outcome: unknown, args: unknown): Promise<void> {
    return this.emitter ? this.emitter.emitOutcome(definition, trigger, outcome, args) : Promise.resolve();
  }
}
