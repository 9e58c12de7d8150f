import { ClassRef } from '../util/class-ref';
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ServusObservers } from '../execution/servus-observers';
import { ServiceDefinition } from '../service/service-definition';

export interface RecordedCall {
  service: string;
  type: ClassRef;
  args: unknown;
  /** 'call': ran through the pipeline (sync, or performed from the test queue); 'enqueue': callAsync. */
  kind: 'call' | 'enqueue';
  options?: unknown;
}

export interface RecordedEmit {
  event: string;
  payload: unknown;
}

let active: ServusTestRecorder | undefined;

/** The recorder of the testing module the current test booted (what the matchers read). */
export function activeRecorder(): ServusTestRecorder {
  if (!active)
    throw new Error(
      'No ServusTestingModule is running: import ServusTestingModule.forRoot() in the test module and init it.',
    );
  return active;
}

/** Sees every call, enqueue and emit of the testing module's app, for the matchers. */
@Injectable()
export class ServusTestRecorder implements OnModuleInit, OnModuleDestroy {
  readonly calls: RecordedCall[] = [];
  readonly emits: RecordedEmit[] = [];

  constructor(private readonly observers: ServusObservers) {}

  private unsubscribe?: () => void;

  onModuleInit(): void {
    this.unsubscribe = this.observers.add({
      callStarted: (definition, args) =>
        this.calls.push({ service: definition.name, type: definition.type, args, kind: 'call' }),
      emitted: (event, payload) => this.emits.push({ event, payload }),
    });
    // The matchers find the recorder of the running test module through this one slot.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    active = this;
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (active === this) active = undefined;
  }

  recordEnqueue(definition: ServiceDefinition, args: unknown, options: unknown): void {
    this.calls.push({ service: definition.name, type: definition.type, args, kind: 'enqueue', options });
  }

  /** Marks where a matcher's block starts: what is recorded after it is what the block did. */
  mark(): { calls: number; emits: number } {
    return { calls: this.calls.length, emits: this.emits.length };
  }
}
