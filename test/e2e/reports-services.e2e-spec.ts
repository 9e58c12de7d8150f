import { Test, TestingModule } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NotFoundError, ServusExecutor } from 'nestjs-servus';
import { argumentsExample, ServusTestingModule, ServusTestQueue } from 'nestjs-servus/testing';
import {
  GenerateReport,
  NotifyReportReady,
  PreviewReport,
  Report,
  ReportsDatabaseModule,
  ReportsModule,
} from '@app/reports';

/** The README's "Testing your services" example, kept true: the example's services, the testing module, the real PostgreSQL. */
describe('reports (README testing example)', () => {
  let moduleRef: TestingModule;
  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ServusTestingModule.forRoot({ queues: ['default', 'critical', 'low'] }),
        ReportsDatabaseModule.forRoot({ migrationsRun: true }),
        ReportsModule,
      ],
    }).compile();
    await moduleRef.init();
  });
  afterEach(() => moduleRef.close());

  it('previews', async () => {
    const executor = moduleRef.get(ServusExecutor);
    expect(await executor.call(PreviewReport, argumentsExample(PreviewReport))).toBeSuccess(
      expect.objectContaining({ salesCount: 2 }),
    );
    expect(await executor.call(PreviewReport, { userId: 9, from: '2026-11-01', to: '2026-11-30' })).toBeFailure(
      NotFoundError,
    );
  });

  it('generates, then notifies', async () => {
    const reports = moduleRef.get<Repository<Report>>(getRepositoryToken(Report));
    const { id: reportId } = await reports.save(reports.create({ userId: 1, from: '2026-11-01', to: '2026-11-30' }));
    const executor = moduleRef.get(ServusExecutor);
    await expect(() => executor.callAsync(GenerateReport, { reportId })).toHaveEnqueued(GenerateReport, { reportId });
    const queue = moduleRef.get(ServusTestQueue);
    await expect(() => queue.drain()).toEmitEvent('report.generated', { reportId });
    await expect(queue).toHaveEnqueued(NotifyReportReady, { reportId }, { queue: 'low' });
    expect(await reports.findOneByOrFail({ id: reportId })).toMatchObject({ status: 'completed', totalCents: 11150 });
  });
});
