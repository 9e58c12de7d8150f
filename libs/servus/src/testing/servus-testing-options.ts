import { ServusModuleOptions } from '../module/servus-options.interface';

/** Options of ServusTestingModule.forRoot: the module options, minus Redis, plus the async mode. */
export interface ServusTestingOptions extends Omit<ServusModuleOptions, 'connection' | 'worker' | 'enqueueTimeoutMs'> {
  /** 'fake' (default): callAsync records; perform/drain runs. 'inline': callAsync runs the service at once. */
  async?: 'fake' | 'inline';
}

export const SERVUS_TESTING_OPTIONS = Symbol('SERVUS_TESTING_OPTIONS');
