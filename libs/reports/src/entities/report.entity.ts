import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ReportStatus = 'pending' | 'completed' | 'failed';

/** A report a user asked for: created pending by the api, filled by reports.generate in the worker. */
@Entity({ name: 'reports' })
export class Report {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ name: 'from_date', type: 'date' })
  from!: string;

  @Column({ name: 'to_date', type: 'date' })
  to!: string;

  /** Currency the total is also shown in; anything but USD goes through the (flaky) rates service. */
  @Column({ type: 'varchar', length: 3, default: 'USD' })
  currency!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: ReportStatus;

  @Column({ name: 'sales_count', type: 'integer', nullable: true })
  salesCount!: number | null;

  @Column({
    name: 'total_cents',
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  totalCents!: number | null;

  @Column({
    name: 'converted_total_cents',
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  convertedTotalCents!: number | null;

  @Column({ name: 'conversion_attempts', type: 'integer', default: 0 })
  conversionAttempts!: number;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'job_id', type: 'varchar', length: 64, nullable: true })
  jobId!: string | null;

  @Column({ name: 'notified_at', type: 'timestamptz', nullable: true })
  notifiedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
