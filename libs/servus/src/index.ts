export * from './module';
export * from './service';
export * from './execution';
export * from './response';
export * from './rescue';
export * from './async';
export * from './validation';
export * from './events';
