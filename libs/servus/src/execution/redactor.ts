import { Inject, Injectable } from '@nestjs/common';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ExecutionModuleOptions } from './execution-options.interface';
import { createRedactor, DEFAULT_REDACT_KEYS } from './redact';

/** Masks secrets (the `logging.redact` keys) in arguments, results and context: the logs and the dashboard use the same one. */
@Injectable()
export class Redactor {
  readonly redact: (value: unknown) => unknown;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: ExecutionModuleOptions) {
    const logging = options.logging;
    this.redact = createRedactor((logging && logging.redact) || DEFAULT_REDACT_KEYS);
  }
}
