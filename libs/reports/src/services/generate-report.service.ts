import { Emits, NotFoundError, Service, ServiceBase } from 'nestjs-servus';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, Repository } from 'typeorm';
import { Report } from '../entities/report.entity';
import { SalesQuery } from '../sales-totals';
import { ReportData, reportData } from './report-data';

export interface GenerateReportArgs {
  reportId: number;
}

/**
 * Fills a pending report from the sales of its range and marks it completed, or failed
 * (NotFound) when the range has no sales. Runs in the worker; safe to run twice, even at once (a job
 * is delivered at least once): a completed report is answered as it is and never written again.
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
      if (
        !(await this.updateUnlessCompleted(reportId, {
          status: 'failed',
          errorCode: NotFoundError.code,
          errorMessage: message,
        }))
      )
        return this.completedMeanwhile(reportId);
      return this.failure(message, NotFoundError);
    }
    const fields = { status: 'completed' as const, salesCount, totalCents, errorCode: null, errorMessage: null };
    if (!(await this.updateUnlessCompleted(reportId, fields))) return this.completedMeanwhile(reportId);
    return this.success(reportData({ ...report, salesCount, totalCents }));
  }

  /**
   * Writes only while the report is not completed, in one statement: another run of the same job (a
   * redelivery, a stalled job run again) may have completed it since it was read, and its answer stands.
   */
  private async updateUnlessCompleted(reportId: number, fields: Partial<Report>): Promise<boolean> {
    const result = await this.reports.update({ id: reportId, status: Not('completed') }, fields);
    return (result.affected ?? 0) > 0;
  }

  private async completedMeanwhile(reportId: number) {
    return this.success(reportData(await this.reports.findOneByOrFail({ id: reportId })));
  }
}
