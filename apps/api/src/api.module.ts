import { Module } from '@nestjs/common';
import { ServusHttpModule, ServusModule } from 'nestjs-servus';
import { ServusMetricsModule } from 'nestjs-servus/metrics';
import { ServusHealthModule } from 'nestjs-servus/health';
import { ServusDashboardModule } from 'nestjs-servus/dashboard';
import { DataSource } from 'typeorm';
import { outboxFromEnv, ReportsDatabaseModule, ReportsModule, servusOptionsFromEnv } from '@app/reports';
import { ReportsController } from './reports.controller';

/** The example HTTP app: enqueues only (no worker); owns the database migrations; serves /metrics, /health and the queue dashboard. */
@Module({
  imports: [
    // The outbox writes in the request's transaction; the worker relays (SERVUS_OUTBOX_RELAY=on runs one here too).
    ServusModule.forRootAsync({
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => ({ ...servusOptionsFromEnv(), outbox: outboxFromEnv(dataSource) }),
    }),
    ServusHttpModule,
    ServusMetricsModule.forRoot(),
    ServusHealthModule.forRoot(),
    // /admin/queues; refuses every request unless both are set. Read-only unless SERVUS_DASHBOARD_WRITES=true.
    ServusDashboardModule.forRoot({
      auth: { username: process.env.SERVUS_DASHBOARD_USER, password: process.env.SERVUS_DASHBOARD_PASSWORD },
      readOnly: process.env.SERVUS_DASHBOARD_WRITES !== 'true',
    }),
    ReportsDatabaseModule.forRoot({ migrationsRun: true }),
    ReportsModule,
  ],
  controllers: [ReportsController],
})
export class ApiModule {}
