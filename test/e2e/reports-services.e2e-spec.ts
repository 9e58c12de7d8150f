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
import { SalesQuery } from '../../libs/reports/src/sales-totals';

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
  afterEach(() => moduleRef?.close());

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

  describe('GenerateReport run twice at once (a job is delivered at least once)', () => {
    let gated: TestingModule;
    let release: (totals: { salesCount: number; totalCents: number }) => void;
    let entered: Promise<void>;

    beforeEach(async () => {
      let enter: () => void;
      entered = new Promise((resolve) => (enter = resolve));
      const totals = new Promise<{ salesCount: number; totalCents: number }>((resolve) => (release = resolve));
      gated = await Test.createTestingModule({
        imports: [
          ServusTestingModule.forRoot({ queues: ['default', 'critical', 'low'] }),
          ReportsDatabaseModule.forRoot({ migrationsRun: true }),
          ReportsModule,
        ],
      })
        .overrideProvider(SalesQuery)
        .useValue({ totals: () => (enter(), totals) })
        .compile();
      await gated.init();
    });
    afterEach(() => gated?.close());

    it.each([
      ['other totals', { salesCount: 1, totalCents: 1 }],
      ['no sales (a failure)', { salesCount: 0, totalCents: 0 }],
    ])('never overwrites a report another run completed meanwhile, with %s', async (_, late) => {
      const reports = gated.get<Repository<Report>>(getRepositoryToken(Report));
      const { id: reportId } = await reports.save(reports.create({ userId: 1, from: '2026-11-01', to: '2026-11-30' }));
      const running = gated.get(ServusExecutor).call(GenerateReport, { reportId });
      await entered; // this run read the report as pending; another one completes it now
      await reports.update(reportId, { status: 'completed', salesCount: 2, totalCents: 11150 });
      release(late);
      const response = await running;
      expect(response).toBeSuccess(expect.objectContaining({ reportId, salesCount: 2, totalCents: 11150 }));
      expect(await reports.findOneByOrFail({ id: reportId })).toMatchObject({
        status: 'completed',
        salesCount: 2,
        totalCents: 11150,
        errorCode: null,
      });
    });
  });
});
