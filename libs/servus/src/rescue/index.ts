export { RescueFrom, RescueHandler, ErrorClass } from './rescue-from.decorator';
export { RescueContext } from './rescue-context';
