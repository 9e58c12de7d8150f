/** The payload of a job cannot be read: the job fails without retries. */
export class UndecodablePayloadError extends Error {
  constructor(reason: string) {
    super(`Undecodable job payload: ${reason}`);
    this.name = 'UndecodablePayloadError';
  }
}
