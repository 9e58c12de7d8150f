import { TestQueueOptions } from '../testing/test-queue-options';
import { ServusModuleOptions } from './servus-options.interface';

/** Options of ServusTestingModule.forRoot: the module options, minus Redis, plus the async mode. */
export interface ServusTestingOptions
  extends Omit<ServusModuleOptions, 'connection' | 'worker' | 'enqueueTimeoutMs'>, TestQueueOptions {}
