import { Job, JobJson, Queue } from 'bullmq';

/** Payloads whose JSON text was made while checking them (JobRequest.json), until BullMQ stores them. */
const texts = new WeakMap<object, string>();

/**
 * Hands BullMQ the JSON text already made for a payload, so that `add`/`addBulk` store it as it
 * is instead of serialising the payload again. It is the text that was checked (size, signature).
 * Without a text (a small payload), BullMQ serialises the payload when it sends it: the caller
 * must not change its arguments until `callAsync` resolves (docs/async.md says so).
 */
export function withJsonText<T extends object>(payload: T, json: string | undefined): T {
  if (json !== undefined) texts.set(payload, json);
  return payload;
}

/** A Job that stores a payload's known text instead of JSON.stringify-ing its data again. */
class PreserializedJob extends Job {
  override asJSON(): JobJson {
    const data: unknown = this.data;
    const json = typeof data === 'object' && data !== null ? texts.get(data) : undefined;
    if (json === undefined) return super.asJSON();
    // BullMQ serialises `{}` in place of missing data: cheap; the known text then takes its place.
    this.data = undefined;
    try {
      return { ...super.asJSON(), data: json };
    } finally {
      this.data = data;
    }
  }
}

/** Servus's producer Queue: BullMQ's, with jobs that reuse a payload's known JSON text. */
export class ServusQueue extends Queue {
  protected override get Job(): typeof Job {
    // Same constructor and statics as Job; only asJSON differs (its generics are not the point here).
    return PreserializedJob as unknown as typeof Job;
  }
}
