import {
  NotFoundError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from 'nestjs-servus';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Report } from '../entities/report.entity';
import { ExchangeRatesClient, RatesTimeoutError, UnsupportedCurrencyError } from '../exchange-rates.client';

export interface ConvertReportTotalArgs {
  reportId: number;
  currency: string;
}

/**
 * Converts a completed report's total through the flaky rates upstream. A timeout becomes
 * a retryable ServiceUnavailableError, so the worker retries it with backoff (the report's
 * `conversion_attempts` shows each try); an unknown currency is a plain failure.
 */
@Service({
  name: 'reports.convert',
  queue: 'default',
  async: { attempts: 5, backoff: { type: 'fixed', delay: 300 } },
  arguments: {
    type: 'object',
    required: ['reportId', 'currency'],
    properties: { reportId: { type: 'integer', minimum: 1 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
  },
})
@RescueFrom(RatesTimeoutError, { use: ServiceUnavailableError })
@RescueFrom(UnsupportedCurrencyError, (error, ctx) => ctx.failure(error.message, UnprocessableEntityError))
export class ConvertReportTotal extends ServiceBase<
  ConvertReportTotalArgs,
  { reportId: number; currency: string; convertedTotalCents: number }
> {
  constructor(
    @InjectRepository(Report) private readonly reports: Repository<Report>,
    private readonly rates: ExchangeRatesClient,
  ) {
    super();
  }

  async call({ reportId, currency }: ConvertReportTotalArgs) {
    const report = await this.reports.findOneBy({ id: reportId });
    if (!report || report.totalCents === null)
      return this.failure(`Report ${reportId} has no total to convert`, NotFoundError);
    await this.reports.increment({ id: reportId }, 'conversionAttempts', 1);
    const rate = await this.rates.rate(currency, `report-${reportId}`);
    const convertedTotalCents = Math.round(report.totalCents * rate);
    await this.reports.update(reportId, { convertedTotalCents });
    return this.success({ reportId, currency, convertedTotalCents });
  }
}
