import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Values a call carries: a correlation id, a tenant id, ... (JSON primitives). */
export type ContextValues = Record<string, string | number | boolean | null>;

const storage = new AsyncLocalStorage<ContextValues>();

/**
 * The per-call context (AsyncLocalStorage). Set it where a request starts (the HTTP
 * middleware does); `callAsync` carries its `correlationId` and the keys the module's
 * `context.carry` lists into the job, and the worker restores them around the service, so
 * `ServusContext.get('tenantId')` reads the same sync or async. Log lines of a call show it.
 *
 * @publicApi
 */
export const ServusContext = {
  /** Runs `fn` with these values as the current context. */
  run<T>(values: ContextValues, fn: () => T): T {
    return storage.run({ ...values }, fn);
  },

  /** The current values, or undefined outside any context. */
  current(): Readonly<ContextValues> | undefined {
    return storage.getStore();
  },

  get(key: string): ContextValues[string] | undefined {
    return storage.getStore()?.[key];
  },

  /** What a job carries: the correlation id (a new one when there is none) and the `carry` keys present. */
  carried(carry: readonly string[]): ContextValues {
    const store = storage.getStore();
    const values: ContextValues = { correlationId: (store?.correlationId as string | undefined) ?? randomUUID() };
    if (store) for (const key of carry) if (Object.hasOwn(store, key)) values[key] = store[key];
    return values;
  },
};
