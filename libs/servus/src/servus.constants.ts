/** Metadata keys, namespaced as @nestjs/bullmq does. Each is read by the folder that owns its decorator. */
export const SERVICE_METADATA = 'servus:service';
export const RESCUE_FROM_METADATA = 'servus:rescue_from';
export const EMITS_METADATA = 'servus:emits';
export const EVENT_HANDLER_METADATA = 'servus:event_handler';
export const INVOKE_METADATA = 'servus:invoke';
export const LOCATOR_METADATA = 'servus:locator';

/** The options of ServusModule.forRoot()/forRootAsync(); each concern types the part it reads. */
export const SERVUS_MODULE_OPTIONS = Symbol('SERVUS_MODULE_OPTIONS');
