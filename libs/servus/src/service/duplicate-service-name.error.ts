import { Type } from '@nestjs/common';

/** Thrown at boot when two classes register one name. */
export class DuplicateServiceNameError extends Error {
  constructor(name: string, first: Type, second: Type) {
    super(
      `Two services are registered as "${name}": ${first.name} and ${second.name}. Give one a distinct @Service({ name }).`,
    );
    this.name = 'DuplicateServiceNameError';
  }
}
