import { MigrationInterface, QueryRunner } from 'typeorm';

/** The example's schema, and a few sales to report on (users 1 and 2, Oct-Nov 2026). */
export class CreateReports1764201600000 implements MigrationInterface {
  name = 'CreateReports1764201600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE sales (
        id serial PRIMARY KEY,
        user_id integer NOT NULL,
        day date NOT NULL,
        amount_cents integer NOT NULL
      )`);
    await runner.query(`CREATE INDEX sales_user_day ON sales (user_id, day)`);
    await runner.query(`
      CREATE TABLE reports (
        id serial PRIMARY KEY,
        user_id integer NOT NULL,
        from_date date NOT NULL,
        to_date date NOT NULL,
        currency varchar(3) NOT NULL DEFAULT 'USD',
        status varchar(16) NOT NULL DEFAULT 'pending',
        sales_count integer,
        total_cents bigint,
        converted_total_cents bigint,
        conversion_attempts integer NOT NULL DEFAULT 0,
        error_code varchar(64),
        error_message text,
        job_id varchar(64),
        notified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      INSERT INTO sales (user_id, day, amount_cents) VALUES
        (1, '2026-10-30', 500), (1, '2026-11-02', 1250), (1, '2026-11-15', 9900),
        (2, '2026-11-20', 4200), (2, '2026-11-21', 800)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE reports');
    await runner.query('DROP TABLE sales');
  }
}
