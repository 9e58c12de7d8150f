import { IsIn, IsInt, IsISO8601, IsOptional, Min } from 'class-validator';

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'XXX'] as const;

/** Body of POST /reports. */
export class CreateReportDto {
  @IsInt()
  @Min(1)
  userId!: number;

  @IsISO8601({ strict: true })
  from!: string;

  @IsISO8601({ strict: true })
  to!: string;

  /** The total is also converted to this currency, through the flaky rates upstream ('XXX' has no rate). */
  @IsOptional()
  @IsIn(CURRENCIES)
  currency?: (typeof CURRENCIES)[number];
}
