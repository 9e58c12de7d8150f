import 'reflect-metadata';
import { runServusWorker } from '@app/servus';
import { ReportsModule } from '@app/reports';
import { WorkerModule } from './worker.module';

runServusWorker(WorkerModule.forDomain(ReportsModule)).catch((error) => {
  console.error(error);
  process.exit(1);
});
