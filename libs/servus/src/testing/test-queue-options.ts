import { OutboxModuleOptions } from '../outbox/outbox-options.interface';

/** How the test queue handles `callAsync` (and, with `outbox.store`, which store sees a transaction's commit). */
export interface TestQueueOptions extends OutboxModuleOptions {
  /** 'fake' (default): callAsync records; perform/drain runs. 'inline': callAsync runs the service at once. */
  async?: 'fake' | 'inline';
}

/** Injection token of the TestQueueOptions, provided by ServusTestingModule. */
export const SERVUS_TESTING_OPTIONS = Symbol('SERVUS_TESTING_OPTIONS');
