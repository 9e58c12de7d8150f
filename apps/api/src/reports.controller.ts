import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AsyncReceipt, BadRequestError, JobEnqueueError, NotFoundError, ServusExecutor } from 'nestjs-servus';
import { GenerateReport, PreviewReport, PreviewReportArgs, Report } from '@app/reports';
import { CreateReportDto } from './create-report.dto';

@Controller('reports')
export class ReportsController {
  constructor(
    private readonly executor: ServusExecutor,
    @InjectRepository(Report) private readonly reports: Repository<Report>,
  ) {}

  /** Creates a pending report and hands the work to the worker: 202 with the ids to poll. */
  @Post()
  @HttpCode(202)
  async create(@Body() body: CreateReportDto) {
    if (body.from > body.to) throw new BadRequestError(`from (${body.from}) is after to (${body.to})`);
    const report = await this.reports.save(
      this.reports.create({ userId: body.userId, from: body.from, to: body.to, currency: body.currency ?? 'USD' }),
    );
    let receipt: AsyncReceipt;
    try {
      // The job id is the report's: a report has one generate job, whatever Redis's own job counter says
      // (it starts again at 1 when Redis is emptied, while PostgreSQL keeps its rows).
      receipt = await this.executor.callAsync(
        GenerateReport,
        { reportId: report.id },
        { jobId: `report-${report.id}` },
      );
    } catch (error) {
      // Nothing lost: the row says why it will not be generated (in words for the client: Redis's own
      // error is in the log); the client gets a 503.
      if (error instanceof JobEnqueueError)
        await this.reports.update(report.id, {
          status: 'failed',
          errorCode: 'service_unavailable',
          errorMessage: 'The report could not be queued; ask for it again',
        });
      throw error;
    }
    await this.reports.update(report.id, { jobId: receipt.jobId });
    return { reportId: report.id, jobId: receipt.jobId, status: 'pending' };
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
