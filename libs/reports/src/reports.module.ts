import { Module } from '@nestjs/common';
import { SalesLedger } from './sales-ledger';
import { GenerateReport } from './services/generate-report.service';

/** The example domain, shared by apps/api and apps/worker. */
@Module({ providers: [SalesLedger, GenerateReport], exports: [GenerateReport] })
export class ReportsModule {}
