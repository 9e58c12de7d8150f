export { ServusHealthModule } from './servus-health.module';
export { ServusHealthOptions } from './servus-health-options.interface';
export { ServusHealthIndicator } from './servus-health.indicator';
