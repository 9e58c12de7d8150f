import { EventHandler, Invoke } from 'nestjs-servus';
import { ConvertReportTotal } from '../services/convert-report-total.service';
import { NotifyReportReady } from '../services/notify-report-ready.service';
import { ReportData } from '../services/report-data';

/** Side effects of a generated report, each in the worker, off the generating job. */
@EventHandler('report.generated')
export class ReportGeneratedHandler {
  @Invoke(NotifyReportReady, { async: true, queue: 'low' })
  notify(report: ReportData) {
    return { reportId: report.reportId };
  }

  @Invoke(ConvertReportTotal, { async: true, unless: (report: ReportData) => report.currency === 'USD' })
  convert(report: ReportData) {
    return { reportId: report.reportId, currency: report.currency };
  }
}
