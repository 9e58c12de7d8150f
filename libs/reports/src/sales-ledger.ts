import { Injectable } from '@nestjs/common';

export interface Sale {
  userId: number;
  day: string; // YYYY-MM-DD
  amountCents: number;
}

/**
 * The example's data source: a small in-memory ledger for now (the PostgreSQL-backed
 * repository replaces it with the example app issue).
 */
@Injectable()
export class SalesLedger {
  private readonly sales: Sale[] = [
    { userId: 1, day: '2026-11-02', amountCents: 1250 },
    { userId: 1, day: '2026-11-15', amountCents: 9900 },
    { userId: 1, day: '2026-10-30', amountCents: 500 },
    { userId: 2, day: '2026-11-20', amountCents: 4200 },
  ];

  async salesOf(userId: number, from: string, to: string): Promise<Sale[]> {
    return this.sales.filter((sale) => sale.userId === userId && sale.day >= from && sale.day <= to);
  }
}
