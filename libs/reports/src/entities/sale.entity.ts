import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What reports are made of. */
@Entity({ name: 'sales' })
@Index(['userId', 'day'])
export class Sale {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'date' })
  day!: string;

  @Column({ name: 'amount_cents', type: 'integer' })
  amountCents!: number;
}
