import 'reflect-metadata';
import { runServusWorker } from 'nestjs-servus';
import { ReportsDatabaseModule, ReportsModule, workerHttpFromEnv } from '@app/reports';
import { WorkerModule } from './worker.module';

// The worker runs the example's services; the api owns the migrations.
// /metrics and /health on SERVUS_WORKER_HTTP_PORT (default 3001).
runServusWorker(WorkerModule.forDomainWithOutbox(ReportsDatabaseModule.forRoot(), ReportsModule), {
  http: workerHttpFromEnv(),
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
