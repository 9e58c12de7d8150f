import { ServiceResponse } from '../response/service-response';
import { RescueConfig } from './rescue-from.decorator';
import { RescueContext } from './rescue-context';

/**
 * Applies a service's `@RescueFrom` declarations to an exception. Built once per service
 * at registration, so the hot path is a loop over a short array.
 */
export class Rescuer {
  constructor(
    private readonly configs: readonly RescueConfig[],
    private readonly service: string,
  ) {}

  // A fast path for the pipeline: rescue() with no declarations answers undefined too, so a
  // getter that says "not empty" (false, or undefined) changes nothing a caller can see.
  // Stryker disable next-line BlockStatement: equivalent, see above
  get isEmpty(): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent when false, see above
    return this.configs.length === 0;
  }

  /** The response for `error`, or `undefined` when no declaration matches (rethrow it). */
  async rescue(error: unknown, args: unknown): Promise<ServiceResponse | undefined> {
    const config = this.configs.find((c) => c.errors.some((type) => error instanceof type));
    if (!config) return undefined;
    const original = error as Error;
    if (config.use) return ServiceResponse.failure(new config.use(templateMessage(original), { cause: original }));
    const response = await config.handler!(original, new RescueContext(args, this.service));
    if (!ServiceResponse.isResponse(response)) {
      throw new TypeError(
        `@RescueFrom handler of ${this.service} for ${original.constructor.name} must return ctx.success() or ctx.failure(), got ${describe(response)}`,
      );
    }
    return response;
  }
}

/** Servus's message template: `[OriginalName]: original message`. */
function templateMessage(error: Error): string {
  return `[${error.constructor.name}]: ${error.message}`;
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
