import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Sale } from './entities/sale.entity';

export interface SalesTotals {
  salesCount: number;
  totalCents: number;
}

/** Sums a user's sales over an inclusive date range, in the database. */
@Injectable()
export class SalesQuery {
  constructor(@InjectRepository(Sale) private readonly sales: Repository<Sale>) {}

  async totals(userId: number, from: string, to: string): Promise<SalesTotals> {
    const row = await this.sales
      .createQueryBuilder('sale')
      .select('count(*)::int', 'salesCount')
      .addSelect('coalesce(sum(sale.amount_cents), 0)::bigint', 'totalCents')
      .where('sale.user_id = :userId AND sale.day BETWEEN :from AND :to', { userId, from, to })
      .getRawOne<{ salesCount: number; totalCents: string }>();
    return { salesCount: Number(row?.salesCount ?? 0), totalCents: Number(row?.totalCents ?? 0) };
  }
}
