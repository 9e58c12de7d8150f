export { Service } from './service.decorator';
export { ServiceBase, ArgsOf, DataOf } from './service-base';
export { ServiceOptions, ServiceAsyncOptions } from './service-options.interface';
export { ServiceRegistry, DuplicateServiceNameError } from './service-registry';
export { ServiceDefinition } from './service-definition';
export { CallContext } from './call-context';
