/** The one options token (as CQRS_MODULE_OPTIONS). */
export const SERVUS_MODULE_OPTIONS = Symbol('SERVUS_MODULE_OPTIONS');

/** ServusExecutor by token, for the event bus (which the executor's pipeline uses) to find it lazily. */
export const SERVUS_EXECUTOR = Symbol('SERVUS_EXECUTOR');
