import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { SERVICE_METADATA } from '../servus.constants';
import { ServiceOptions } from './service-options.interface';
import { parseDuration } from '../util/duration';

/**
 * Marks a class as a Servus service: an injectable singleton with one `call(args)`,
 * found by the explorer at bootstrap and registered by name.
 *
 * @example
 * ＠Service({ name: 'reports.generate', queue: 'default' })
 * export class GenerateReport extends ServiceBase<GenerateReportArgs, ReportData> { ... }
 *
 * @publicApi
 */
export function Service(options: ServiceOptions = {}): ClassDecorator {
  // A mistyped deadline fails where it is written, not at the first call.
  if (options.timeout !== undefined) {
    try {
      if (parseDuration(options.timeout) <= 0)
        throw new TypeError(`${String(options.timeout)} is not a positive duration`);
    } catch (error) {
      throw new TypeError(`@Service({ timeout }): ${(error as Error).message}`);
    }
  }
  // Services are singletons by contract (args arrive per call), so no scope option.
  return applyDecorators(Injectable(), SetMetadata(SERVICE_METADATA, { ...options }));
}
