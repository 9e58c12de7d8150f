import { Logger } from '@nestjs/common';
import { Service, ServiceBase } from 'nestjs-servus';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { Report } from '../entities/report.entity';

export interface NotifyReportReadyArgs {
  reportId: number;
}

/**
 * Tells the user their report is ready (here: a log line and `notified_at`). Invoked
 * async by the 'report.generated' handler; the conditional update makes a second delivery
 * of the job a no-op, so the user hears once.
 */
@Service({
  name: 'reports.notify',
  arguments: { type: 'object', required: ['reportId'], properties: { reportId: { type: 'integer', minimum: 1 } } },
})
export class NotifyReportReady extends ServiceBase<NotifyReportReadyArgs, { reportId: number; notified: boolean }> {
  private readonly logger = new Logger('Reports');

  constructor(@InjectRepository(Report) private readonly reports: Repository<Report>) {
    super();
  }

  async call({ reportId }: NotifyReportReadyArgs) {
    const result = await this.reports.update({ id: reportId, notifiedAt: IsNull() }, { notifiedAt: new Date() });
    const notified = (result.affected ?? 0) > 0;
    if (notified) this.logger.log(`Report ${reportId} is ready: user notified`);
    return this.success({ reportId, notified });
  }
}
