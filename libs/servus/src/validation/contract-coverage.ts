import { Logger } from '@nestjs/common';
import { Contract } from '../service/contract.interface';

/** A service as far as contract coverage goes: its name, and its compiled arguments contract if any. */
export interface ContractCoverage {
  name: string;
  arguments?: Contract;
}

/**
 * Says at boot which services run without an arguments contract (their arguments are not
 * validated), and where file schemas were looked for; with `contracts: 'required'`, any such
 * service fails the boot. A schema file that is not found is never silent (unless `logging: false`).
 */
export function checkContractCoverage(
  services: readonly ContractCoverage[],
  mode: 'optional' | 'required' | undefined,
  schemasDir: string,
  log: boolean,
  logger = new Logger('Servus'),
): void {
  const missing = services.filter((service) => !service.arguments).map((service) => service.name);
  if (!missing.length) return;
  const where = `declare @Service({ arguments }) or add ${schemasDir}/<service path>/arguments.json`;
  if (mode === 'required')
    throw new Error(
      `ServusModule: contracts: 'required', but ${missing.length} service(s) have no arguments contract: ${missing.join(', ')} (${where})`,
    );
  if (log)
    logger.log(
      `${missing.length} service(s) run without an arguments contract (not validated): ${missing.join(', ')}; file schemas are read from ${schemasDir}`,
    );
}
