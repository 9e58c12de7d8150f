import { Provider } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ServusBullmqOptions } from '../async/bullmq-interop-options.interface';
import { connectionFromShared, loadNestBullmq, SharedBullConfig } from '../async/bullmq-interop';
import { ExposedQueues } from '../async/exposed-queues';
import { DEFAULT_PREFIX } from '../async/queue-names';
import { ServusModuleOptions } from './servus-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { BullmqCollisionCheck } from './servus-bullmq-collisions';

/** The options as given (forRoot's value, forRootAsync's factory), before BullModule's config is merged in. */
export const SERVUS_GIVEN_OPTIONS = Symbol('servus:given_options');

/** The providers and exported tokens of the `bullmq` option. */
export interface BullmqWiring {
  providers: Provider[];
  exports: string[];
}

/**
 * SERVUS_MODULE_OPTIONS made from the given options and BullModule's shared config (its token
 * injected, so Nest resolves BullModule.forRootAsync first), plus one provider per exposed queue
 * under @nestjs/bullmq's queue token.
 */
export function bullmqWiring(bullmq: ServusBullmqOptions): BullmqWiring {
  const tokens = loadNestBullmq();
  const configToken = tokens.getSharedConfigToken(bullmq.configKey);
  const exposed = [...(bullmq.exposeQueues ?? [])];
  const duplicate = exposed.find((name, index) => exposed.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`ServusModule: bullmq.exposeQueues lists "${duplicate}" twice`);
  const queueTokens = exposed.map((name) => tokens.getQueueToken(name));
  const shared = { token: configToken, optional: true };
  const providers: Provider[] = [
    {
      provide: SERVUS_MODULE_OPTIONS,
      useFactory: (given: ServusModuleOptions, config?: SharedBullConfig) =>
        mergeSharedConfig(given, bullmq, config, configToken),
      inject: [SERVUS_GIVEN_OPTIONS, shared],
    },
    {
      provide: BullmqCollisionCheck,
      useFactory: (discovery: DiscoveryService, options: ServusModuleOptions, config: SharedBullConfig) =>
        new BullmqCollisionCheck(discovery, tokens, options, config),
      inject: [DiscoveryService, SERVUS_MODULE_OPTIONS, shared],
    },
  ];
  if (exposed.length) {
    providers.push({
      provide: ExposedQueues,
      useFactory: (options: ServusModuleOptions, config: SharedBullConfig) =>
        new ExposedQueues(config.connection, options.prefix ?? DEFAULT_PREFIX),
      inject: [SERVUS_MODULE_OPTIONS, shared],
    });
    exposed.forEach((name, index) =>
      providers.push({
        provide: queueTokens[index],
        useFactory: (queues: ExposedQueues) => queues.queue(name),
        inject: [ExposedQueues],
      }),
    );
  }
  return { providers, exports: queueTokens };
}

/** The given options with BullModule's connection and prefix; a boot error on what cannot work. */
export function mergeSharedConfig(
  given: ServusModuleOptions,
  bullmq: ServusBullmqOptions,
  config: SharedBullConfig | undefined,
  configToken: string,
): ServusModuleOptions {
  if (given.connection !== undefined) {
    throw new Error(
      'ServusModule: give either connection or bullmq, not both (bullmq takes the connection from BullModule.forRoot).',
    );
  }
  if (!config) {
    const call = bullmq.configKey
      ? `BullModule.forRoot(${JSON.stringify(bullmq.configKey)}, { connection })`
      : 'BullModule.forRoot({ connection })';
    throw new Error(
      `ServusModule: bullmq is set but the app has no BullModule config "${configToken}". Import ${call} (or forRootAsync) from @nestjs/bullmq, or give ServusModule a connection instead.`,
    );
  }
  const queues = given.queues?.length ? given.queues : ['default'];
  for (const name of bullmq.exposeQueues ?? []) {
    if (!queues.includes(name)) {
      throw new Error(
        `ServusModule: bullmq.exposeQueues lists "${name}", which is not one of queues (${queues.join(', ')}); only Servus's own queues can be exposed.`,
      );
    }
  }
  const options: ServusModuleOptions = {
    ...given,
    bullmq,
    connection: connectionFromShared(config.connection),
    prefix: given.prefix ?? config.prefix ?? DEFAULT_PREFIX,
  };
  return options;
}

/**
 * forRootAsync without `bullmq` next to its factory: a `bullmq` in the factory's result comes too
 * late (the config token is injected when the module is declared), so it is refused, not ignored.
 */
export const BULLMQ_NOT_FROM_FACTORY: Provider = {
  provide: Symbol('servus:bullmq_not_from_factory'),
  useFactory: (options: ServusModuleOptions) => {
    if (options.bullmq) {
      throw new Error(
        'ServusModule.forRootAsync: give bullmq next to useFactory ({ bullmq, useFactory }), not in what the factory returns: its config token is injected when the module is declared.',
      );
    }
    return true;
  },
  inject: [SERVUS_MODULE_OPTIONS],
};
