import { Type } from '@nestjs/common';
import { Rescuer } from '../rescue/rescuer';
import { Contract } from './contract.interface';
import { EmitConfig, EmitTrigger } from './emit-config';
import { AnyService } from './service-base';
import { ServiceOptions } from './service-options.interface';

/**
 * Everything the pipeline needs to run one service, computed once at bootstrap so a call
 * reads no metadata. Validation and events add their compiled parts here.
 */
export interface ServiceDefinition<S extends AnyService = AnyService> {
  readonly name: string;
  readonly type: Type<S>;
  readonly instance: S;
  readonly options: ServiceOptions;
  readonly rescuer: Rescuer;
  /** Argument contract (JSON Schema or DTO); absent: not validated. */
  readonly arguments?: Contract;
  /** Contract of a success's data; absent: not validated. */
  readonly result?: Contract;
  /** `@Emits` by trigger; absent when the service emits nothing. */
  readonly emits?: Readonly<Record<EmitTrigger, readonly EmitConfig[]>>;
}
