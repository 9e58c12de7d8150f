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
