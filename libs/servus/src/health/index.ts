export { ServusHealthModule, ServusHealthOptions } from './servus-health.module';
export { ServusHealthIndicator } from './servus-health.indicator';
