/** Metadata keys, namespaced as @nestjs/bullmq does. Read only through ServusMetadataAccessor. */
export const SERVICE_METADATA = 'servus:service';
export const RESCUE_FROM_METADATA = 'servus:rescue_from';
