/** The outbox table: one row per job waiting for the relay. */
export const OUTBOX_TABLE = 'servus_outbox';

/** The NOTIFY channel: an insert wakes the relays when its transaction commits (never on rollback). */
export const OUTBOX_CHANNEL = 'servus_outbox';

/** The longest scope, queue, job id or service name a row holds (a longer one is refused at call time). */
export const OUTBOX_MAX_KEY_LENGTH = 200;

/**
 * PostgreSQL statements creating the table, its index and the notify trigger. `json` (not jsonb)
 * keeps the payload's text as written: key order and every string survive as in Redis.
 */
export const CREATE_OUTBOX_SQL: readonly string[] = [
  `CREATE TABLE ${OUTBOX_TABLE} (
    id bigserial PRIMARY KEY,
    scope varchar(${OUTBOX_MAX_KEY_LENGTH}) NOT NULL,
    queue varchar(${OUTBOX_MAX_KEY_LENGTH}) NOT NULL,
    job_id varchar(${OUTBOX_MAX_KEY_LENGTH}) NOT NULL,
    name varchar(${OUTBOX_MAX_KEY_LENGTH}) NOT NULL,
    payload json NOT NULL,
    options json NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set when BullMQ refused the row (a bad option, a bad id): it is parked, not retried, not lost.
    refused text,
    CONSTRAINT ${OUTBOX_TABLE}_job UNIQUE (scope, queue, job_id)
  )`,
  `CREATE INDEX ${OUTBOX_TABLE}_scope_id ON ${OUTBOX_TABLE} (scope, id)`,
  `CREATE FUNCTION ${OUTBOX_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
    RETURN NULL;
  END $$`,
  // Per statement: a callAsyncMany of 1,000 jobs sends one notification, not 1,000.
  `CREATE TRIGGER ${OUTBOX_TABLE}_notify AFTER INSERT ON ${OUTBOX_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION ${OUTBOX_TABLE}_notify()`,
];

export const DROP_OUTBOX_SQL: readonly string[] = [
  `DROP TABLE ${OUTBOX_TABLE}`,
  `DROP FUNCTION ${OUTBOX_TABLE}_notify()`,
];
