/**
 * The parts of TypeORM the outbox uses, typed here so the library's types do not depend on
 * TypeORM's (a TypeORM DataSource, EntityManager and QueryRunner fit them).
 */
export interface TypeOrmQueryRunnerLike {
  readonly isTransactionActive: boolean;
  readonly connection: TypeOrmDataSourceLike;
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
  /** The driver's connection (a pg client for PostgreSQL). */
  connect(): Promise<unknown>;
  release(): Promise<void>;
}

/** A TypeORM EntityManager: inside `dataSource.transaction(async (manager) => ...)` it has an open query runner. */
export interface TypeOrmEntityManagerLike {
  readonly connection: TypeOrmDataSourceLike;
  readonly queryRunner?: TypeOrmQueryRunnerLike;
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The transaction events of a TypeORM subscriber the outbox listens to. */
export interface TypeOrmSubscriberLike {
  afterTransactionCommit?(event: { queryRunner: TypeOrmQueryRunnerLike }): void;
  afterTransactionRollback?(event: { queryRunner: TypeOrmQueryRunnerLike }): void;
}

/** A TypeORM DataSource. */
export interface TypeOrmDataSourceLike {
  readonly subscribers: TypeOrmSubscriberLike[];
  createQueryRunner(): TypeOrmQueryRunnerLike;
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}
