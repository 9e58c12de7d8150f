export { Service } from './service.decorator';
export { ServiceBase, ArgsOf, DataOf } from './service-base';
export { ServiceOptions, ServiceAsyncOptions } from './service-options.interface';
export { ServiceRegistry } from './service-registry';
export { DuplicateServiceNameError } from './duplicate-service-name.error';
export { ServiceDefinition } from './service-definition';
export { CallContext } from './call-context';
