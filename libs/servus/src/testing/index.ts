export { ServusTestingModule } from './servus-testing.module';
export { ServusTestingOptions } from './servus-testing-options';
export { ServusTestQueue, EnqueuedCall } from './servus-test-queue';
export { servusMatchers, ServusMatchers } from './matchers';
export { argumentsExample, resultExample } from '../validation/schema-examples';
