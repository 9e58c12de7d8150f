import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { BadRequestError, NotFoundError, ServusExecutor } from 'nestjs-servus';
import { GenerateReport, PreviewReport, PreviewReportArgs, Report } from '@app/reports';
import { CreateReportDto } from './create-report.dto';

@Controller('reports')
export class ReportsController {
  constructor(
    private readonly executor: ServusExecutor,
    @InjectRepository(Report) private readonly reports: Repository<Report>,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Creates a pending report and its job in one transaction: 202 with the ids to poll. The job
   * goes to the outbox, so Redis being down does not fail the request; the relay hands the job
   * to the worker once Redis answers. A rollback leaves neither the report nor the job.
   */
  @Post()
  @HttpCode(202)
  async create(@Body() body: CreateReportDto) {
    if (body.from > body.to) throw new BadRequestError(`from (${body.from}) is after to (${body.to})`);
    return this.dataSource.transaction(async (manager) => {
      const reports = manager.getRepository(Report);
      const report = await reports.save(
        reports.create({ userId: body.userId, from: body.from, to: body.to, currency: body.currency ?? 'USD' }),
      );
      // The job id comes from the report: the same report never gets a second job.
      const jobId = `report-${report.id}`;
      await reports.update(report.id, { jobId });
      await this.executor.callAsync(GenerateReport, { reportId: report.id }, { jobId, transaction: manager });
      return { reportId: report.id, jobId, status: 'pending' };
    });
  }

  /** The report, with where its job stands. */
  @Get(':id')
  async show(@Param('id', ParseIntPipe) id: number) {
    const report = await this.reports.findOneBy({ id });
    if (!report) throw new NotFoundError(`Report ${id} does not exist`);
    // The job is on reports.generate's queue, whichever SERVUS_QUEUES makes that.
    const job = report.jobId
      ? await this.executor.status({ jobId: report.jobId, service: 'reports.generate' })
      : undefined;
    return {
      id: report.id,
      userId: report.userId,
      from: report.from,
      to: report.to,
      status: report.status,
      salesCount: report.salesCount,
      totalCents: report.totalCents,
      currency: report.currency,
      convertedTotalCents: report.convertedTotalCents,
      conversionAttempts: report.conversionAttempts,
      notifiedAt: report.notifiedAt,
      error: report.errorCode ? { code: report.errorCode, message: report.errorMessage } : null,
      job: job ? { id: report.jobId, state: job.state, attemptsMade: job.attemptsMade } : null,
    };
  }

  /** Synchronous: the totals now, through executor.call. The ServiceResponse is the answer (interceptor + filter). */
  @Post('preview')
  @HttpCode(200)
  preview(@Body() body: PreviewReportArgs) {
    return this.executor.call(PreviewReport, body);
  }
}
