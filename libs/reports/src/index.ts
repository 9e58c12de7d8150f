export { ReportsModule } from './reports.module';
export { GenerateReport, GenerateReportArgs, ReportData } from './services/generate-report.service';
