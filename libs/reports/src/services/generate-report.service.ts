import { Emits, NotFoundError, Service, ServiceBase } from 'nestjs-servus';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Report } from '../entities/report.entity';
import { SalesQuery } from '../sales-totals';
import { ReportData, reportData } from './report-data';

export interface GenerateReportArgs {
  reportId: number;
}

/**
 * Fills a pending report from the sales of its range and marks it completed, or failed
 * (NotFound) when the range has no sales. Runs in the worker; safe to run twice (a job is
 * delivered at least once): a completed report is answered as it is.
 */
@Service({
  name: 'reports.generate',
  arguments: {
    type: 'object',
    required: ['reportId'],
    additionalProperties: false,
    properties: { reportId: { type: 'integer', minimum: 1, example: 1 } },
  },
})
@Emits('report.generated', { on: 'success' })
export class GenerateReport extends ServiceBase<GenerateReportArgs, ReportData> {
  constructor(
    @InjectRepository(Report) private readonly reports: Repository<Report>,
    private readonly sales: SalesQuery,
  ) {
    super();
  }

  async call({ reportId }: GenerateReportArgs) {
    const report = await this.reports.findOneBy({ id: reportId });
    if (!report) return this.failure(`Report ${reportId} does not exist`, NotFoundError);
    if (report.status === 'completed') return this.success(reportData(report));

    const { salesCount, totalCents } = await this.sales.totals(report.userId, report.from, report.to);
    if (salesCount === 0) {
      const message = `No sales for user ${report.userId} between ${report.from} and ${report.to}`;
      await this.reports.update(reportId, { status: 'failed', errorCode: NotFoundError.code, errorMessage: message });
      return this.failure(message, NotFoundError);
    }
    await this.reports.update(reportId, {
      status: 'completed',
      salesCount,
      totalCents,
      errorCode: null,
      errorMessage: null,
    });
    return this.success(reportData({ ...report, salesCount, totalCents }));
  }
}
