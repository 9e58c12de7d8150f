import { Service, ServiceBase } from 'nestjs-servus';

/** The arguments every benchmark sends: five properties, as the schema case asks. */
export interface Args {
  userId: number;
  reportType: 'daily' | 'monthly';
  email: string;
  limit: number;
  draft: boolean;
}

export const ARGS: Args = { userId: 7, reportType: 'monthly', email: 'ada@example.com', limit: 10, draft: false };

/** A 5-property JSON Schema for Args (ajv compiles it once at boot). */
export const SCHEMA = {
  type: 'object',
  required: ['userId', 'reportType', 'email', 'limit', 'draft'],
  properties: {
    userId: { type: 'integer', minimum: 1 },
    reportType: { enum: ['daily', 'monthly'] },
    email: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    draft: { type: 'boolean' },
  },
};

/** The no-op service the benchmarks compare with the raw stack. */
@Service({ name: 'bench.noop' })
export class Noop extends ServiceBase<Args, number> {
  async call(args: Args) {
    return this.success(args.userId);
  }
}

/** The same, with the argument schema. */
@Service({ name: 'bench.noop-schema', arguments: SCHEMA })
export class NoopWithSchema extends ServiceBase<Args, number> {
  async call(args: Args) {
    return this.success(args.userId);
  }
}

/** The no-op service with a concurrency key (one job per user at once): what flow control costs a job that is admitted. */
@Service({ name: 'bench.noop-keyed', async: { concurrency: { limit: 1, key: (args: Args) => String(args.userId) } } })
export class NoopKeyed extends ServiceBase<Args, number> {
  async call(args: Args) {
    return this.success(args.userId);
  }
}
