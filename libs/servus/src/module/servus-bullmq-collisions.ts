import { OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { NestBullmq, queueTakenBy, SharedBullConfig } from '../async/bullmq-interop';
import { ServusModuleOptions } from './servus-options.interface';

/**
 * With `bullmq`, Servus's queues live under the app's prefix, next to its own. An app `@Processor`
 * on a Servus queue name would take Servus's jobs: refused once @nestjs/bullmq made its workers.
 * Made by a factory (servus-bullmq.providers.ts), only when `bullmq` is set.
 */
export class BullmqCollisionCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly nestBullmq: NestBullmq,
    private readonly options: ServusModuleOptions,
    private readonly config: SharedBullConfig,
  ) {}

  onApplicationBootstrap(): void {
    const servus = {
      queues: this.options.queues?.length ? this.options.queues : ['default'],
      prefix: this.options.prefix ?? '',
      connection: this.config.connection,
    };
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!(instance instanceof this.nestBullmq.WorkerHost)) continue;
      const taken = queueTakenBy(instance, servus);
      if (taken !== undefined) {
        throw new Error(
          `ServusModule: ${wrapper.name} is a @Processor of "${taken}", a Servus queue under the same prefix ("${servus.prefix}") and Redis: it would take Servus's jobs. Give the app's queue another name, or Servus another prefix (ServusModule.forRoot({ prefix })).`,
        );
      }
    }
  }
}
