import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Report } from './entities/report.entity';
import { Sale } from './entities/sale.entity';
import { ExchangeRatesClient } from './exchange-rates.client';
import { ReportGeneratedHandler } from './handlers/report-generated.handler';
import { ReportsLocator } from './reports.locator';
import { SalesQuery } from './sales-totals';
import { ConvertReportTotal } from './services/convert-report-total.service';
import { GenerateReport } from './services/generate-report.service';
import { NotifyReportReady } from './services/notify-report-ready.service';
import { PreviewReport } from './services/preview-report.service';

/** The example domain, shared by apps/api and apps/worker. Needs ReportsDatabaseModule imported once. */
@Module({
  imports: [TypeOrmModule.forFeature([Report, Sale])],
  providers: [
    ReportsLocator,
    SalesQuery,
    ExchangeRatesClient,
    GenerateReport,
    PreviewReport,
    NotifyReportReady,
    ConvertReportTotal,
    ReportGeneratedHandler,
  ],
  exports: [TypeOrmModule],
})
export class ReportsModule {}
