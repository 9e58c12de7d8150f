/** The schema of a service could not be read or compiled: the boot fails, naming the service. */
export class InvalidSchemaError extends Error {
  constructor(owner: string, which: 'arguments' | 'result' | 'payload', reason: string) {
    super(`Invalid ${which} schema for ${which === 'payload' ? 'event handler' : 'service'} ${owner}: ${reason}`);
    this.name = 'InvalidSchemaError';
  }
}
