import { NotFoundError, Service, ServiceBase } from 'nestjs-servus';
import { SalesQuery } from '../sales-totals';

export interface PreviewReportArgs {
  userId: number;
  from: string;
  to: string;
}

export interface ReportPreview extends PreviewReportArgs {
  salesCount: number;
  totalCents: number;
}

/** The totals a report would have, computed now (the api's synchronous endpoint). */
@Service({
  name: 'reports.preview',
  arguments: {
    type: 'object',
    required: ['userId', 'from', 'to'],
    additionalProperties: false,
    properties: {
      userId: { type: 'integer', minimum: 1, example: 1 },
      from: { type: 'string', format: 'date', example: '2026-11-01' },
      to: { type: 'string', format: 'date', example: '2026-11-30' },
    },
  },
})
export class PreviewReport extends ServiceBase<PreviewReportArgs, ReportPreview> {
  constructor(private readonly sales: SalesQuery) {
    super();
  }

  async call(args: PreviewReportArgs) {
    const totals = await this.sales.totals(args.userId, args.from, args.to);
    if (totals.salesCount === 0)
      return this.failure(`No sales for user ${args.userId} between ${args.from} and ${args.to}`, NotFoundError);
    return this.success({ ...args, ...totals });
  }
}
