import 'reflect-metadata';
import { runServusWorker } from '@app/servus';
import { ReportsDatabaseModule, ReportsModule } from '@app/reports';
import { WorkerModule } from './worker.module';

// The worker runs the example's services; the api owns the migrations.
runServusWorker(WorkerModule.forDomain(ReportsDatabaseModule.forRoot(), ReportsModule)).catch((error) => {
  console.error(error);
  process.exit(1);
});
