import { DynamicModule, Module } from '@nestjs/common';
import { ASYNC_DISPATCHER } from '../execution/async-dispatcher.interface';
import { servusModule } from './servus.module';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { ServusTestQueue } from '../testing/servus-test-queue';
import { ServusTestRecorder } from '../testing/servus-test-recorder';
import { ServusTestingOptions } from './servus-testing-options';
import { SERVUS_TESTING_OPTIONS } from '../testing/test-queue-options';
import { FLOW_CONTROL } from '../async/flow-control.port';
import { LocalFlowControl } from '../flow/local-flow-control';

/**
 * ServusModule for tests, without Redis: the same discovery, pipeline, contracts and events,
 * with `callAsync` going to a ServusTestQueue ('fake' records, 'inline' runs at once).
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [ServusTestingModule.forRoot({ async: 'fake' }), ReportsModule],
 * }).compile();
 * await moduleRef.init();
 * const queue = moduleRef.get(ServusTestQueue);
 *
 * @publicApi
 */
@Module({})
export class ServusTestingModule {
  static forRoot(options: ServusTestingOptions = {}): DynamicModule {
    const { async = 'fake', ...moduleOptions } = options;
    return servusModule(
      [
        { provide: SERVUS_MODULE_OPTIONS, useValue: { logging: false, ...moduleOptions } },
        { provide: SERVUS_TESTING_OPTIONS, useValue: { ...options, async } },
      ],
      [],
      [
        ServusTestRecorder,
        ServusTestQueue,
        { provide: ASYNC_DISPATCHER, useExisting: ServusTestQueue },
        LocalFlowControl,
        { provide: FLOW_CONTROL, useExisting: LocalFlowControl },
      ],
      [ServusTestQueue],
    );
  }
}
