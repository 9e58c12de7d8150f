export { ServusTestingModule } from '../module/servus-testing.module';
export { ServusTestingOptions } from '../module/servus-testing-options';
export { ServusTestQueue, EnqueuedCall } from './servus-test-queue';
export { servusMatchers, ServusMatchers } from './matchers';
export { argumentsExample, resultExample } from '../validation/schema-examples';
