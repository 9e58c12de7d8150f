/** The one options token (as CQRS_MODULE_OPTIONS). */
export const SERVUS_MODULE_OPTIONS = Symbol('SERVUS_MODULE_OPTIONS');
