import { Inject, Injectable } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ExecutionModuleOptions } from './execution-options.interface';
import { createRedactor, DEFAULT_REDACT_KEYS } from './redact';

/**
 * Masks secrets in arguments, results and context: DEFAULT_REDACT_KEYS plus the `logging.redact`
 * keys (they add to the defaults, never replace them), and secret-looking values. The logs and
 * the dashboard use the same one.
 */
@Injectable()
export class Redactor {
  readonly redact: (value: unknown) => unknown;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: ExecutionModuleOptions) {
    const logging = options.logging;
    this.redact = createRedactor([...DEFAULT_REDACT_KEYS, ...((logging && logging.redact) || [])]);
  }
}
