import { Report } from '../entities/report.entity';

/** What reports.generate answers, and the payload of 'report.generated'. */
export interface ReportData {
  reportId: number;
  userId: number;
  from: string;
  to: string;
  currency: string;
  salesCount: number;
  totalCents: number;
}

export function reportData(report: Report): ReportData {
  return {
    reportId: report.id,
    userId: report.userId,
    from: report.from,
    to: report.to,
    currency: report.currency,
    salesCount: report.salesCount ?? 0,
    totalCents: report.totalCents ?? 0,
  };
}
