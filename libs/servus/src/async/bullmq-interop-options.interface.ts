/**
 * Option `bullmq` of ServusModule: take Redis from the app's @nestjs/bullmq set-up.
 *
 * @publicApi
 */
export interface ServusBullmqOptions {
  /**
   * The key given to `BullModule.forRoot(configKey, config)` (or `forRootAsync`). Default: the
   * config registered without a key.
   */
  configKey?: string;
  /**
   * Servus queues to make injectable with `@InjectQueue(name)` (and so visible to the app's own
   * `@QueueEventsListener(name)`). Each must be one of the module's `queues`.
   */
  exposeQueues?: string[];
}
