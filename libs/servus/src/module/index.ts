export { ServusModule } from './servus.module';
export * from './servus-options.interface';
export { SERVUS_MODULE_OPTIONS } from '../servus.constants';
