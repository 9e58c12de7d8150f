import { Module } from '@nestjs/common';
import { ServusHttpModule, ServusModule } from '@app/servus';
import { ReportsDatabaseModule, ReportsModule, servusOptionsFromEnv } from '@app/reports';
import { ReportsController } from './reports.controller';

/** The example HTTP app: enqueues only (no worker); owns the database migrations. */
@Module({
  imports: [ServusModule.forRoot(servusOptionsFromEnv()), ServusHttpModule, ReportsDatabaseModule.forRoot({ migrationsRun: true }), ReportsModule],
  controllers: [ReportsController],
})
export class ApiModule {}
