import { NotFoundError, Service, ServiceBase } from '@app/servus';
import { SalesLedger } from '../sales-ledger';

export interface GenerateReportArgs {
  userId: number;
  /** ISO dates, inclusive. */
  from: string;
  to: string;
}

export interface ReportData {
  userId: number;
  from: string;
  to: string;
  sales: number;
  totalCents: number;
}

/** Sums a user's sales over a date range; an empty range is a NotFound failure. */
@Service({ name: 'reports.generate' })
export class GenerateReport extends ServiceBase<GenerateReportArgs, ReportData> {
  constructor(private readonly ledger: SalesLedger) {
    super();
  }

  async call({ userId, from, to }: GenerateReportArgs) {
    const sales = await this.ledger.salesOf(userId, from, to);
    if (sales.length === 0) return this.failure(`No sales for user ${userId} between ${from} and ${to}`, NotFoundError);
    const totalCents = sales.reduce((sum, sale) => sum + sale.amountCents, 0);
    return this.success({ userId, from, to, sales: sales.length, totalCents });
  }
}
