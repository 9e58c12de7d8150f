import { Provider } from '@nestjs/common';
import { ServusModuleAsyncOptions, ServusOptionsFactory } from './servus-options.interface';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';

/** The options provider(s) for forRootAsync: useFactory, useClass or useExisting (under `token`). */
export function createAsyncOptionsProviders(
  options: ServusModuleAsyncOptions,
  token: symbol = SERVUS_MODULE_OPTIONS,
): Provider[] {
  if (options.useFactory) {
    return [{ provide: token, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factory = options.useClass ?? options.useExisting;
  if (!factory) {
    throw new Error('ServusModule.forRootAsync() needs one of useFactory, useClass or useExisting.');
  }
  const fromFactory: Provider = {
    provide: token,
    useFactory: (instance: ServusOptionsFactory) => instance.createServusOptions(),
    inject: [factory],
  };
  return options.useClass ? [fromFactory, { provide: options.useClass, useClass: options.useClass }] : [fromFactory];
}
