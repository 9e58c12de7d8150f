import { Injectable } from '@nestjs/common';

/** The rates upstream did not answer in time: transient, worth a retry. */
export class RatesTimeoutError extends Error {
  constructor(currency: string) {
    super(`exchange rates upstream timed out for USD->${currency}`);
    this.name = 'RatesTimeoutError';
  }
}

/** No rate exists for that currency: retrying will not help. */
export class UnsupportedCurrencyError extends Error {
  constructor(currency: string) {
    super(`no exchange rate for ${currency}`);
    this.name = 'UnsupportedCurrencyError';
  }
}

const RATES: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 151.2, CHF: 0.88 };

/**
 * A stand-in for a flaky HTTP dependency: for each key it times out the first
 * RATES_FAILURES calls (default 2), then answers. Counted per process.
 */
@Injectable()
export class ExchangeRatesClient {
  private readonly calls = new Map<string, number>();
  private readonly failures = Number(process.env.RATES_FAILURES ?? 2);

  // A promise, as a real HTTP client's: the service awaits it and rescues its rejections.
  rate(currency: string, key: string): Promise<number> {
    const rate = RATES[currency];
    if (rate === undefined) return Promise.reject(new UnsupportedCurrencyError(currency));
    const calls = (this.calls.get(key) ?? 0) + 1;
    this.calls.set(key, calls);
    if (calls <= this.failures) return Promise.reject(new RatesTimeoutError(currency));
    return Promise.resolve(rate);
  }
}
