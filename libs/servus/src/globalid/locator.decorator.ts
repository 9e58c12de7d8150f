import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { LOCATOR_METADATA } from '../servus.constants';

/**
 * Registers a provider implementing EntityLocator: discovered at bootstrap like services.
 *
 * @publicApi
 */
export function Locator(): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(LOCATOR_METADATA, true));
}

/** Whether a class is decorated with `@Locator()`. */
export function isLocator(target: unknown): boolean {
  return typeof target === 'function' && Reflect.hasOwnMetadata(LOCATOR_METADATA, target);
}
