import { TypeOrmQueryRunnerLike as QueryRunner } from './typeorm-shapes';
import { OutboxListener } from './outbox-store.interface';
import { OUTBOX_CHANNEL } from './outbox-table';

/** The part of a pg client the listener uses. */
export interface PgClient {
  query(sql: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * LISTENs on the outbox channel with the runner's pg client, kept out of the pool until close().
 * Its handlers live exactly as long as the listener: when the LISTEN itself fails they are removed
 * before the client goes back to the pool, so a later `end` of that idle client (or another
 * user's error on it) is not reported as this listener lost.
 */
export async function listenWith(
  runner: QueryRunner,
  onWake: () => void,
  onError: (error: Error) => void,
): Promise<OutboxListener> {
  // TypeORM's postgres query runner connects to a pg client of its pool; LISTEN needs that client kept.
  const client = (await runner.connect()) as PgClient;
  const onNotification = (message: { channel: string }) => message.channel === OUTBOX_CHANNEL && onWake();
  const onLost = (error?: Error) => onError(error ?? new Error('the LISTEN connection ended'));
  const detach = () => {
    client.off('notification', onNotification);
    client.off('error', onLost);
    client.off('end', onLost);
  };
  client.on('notification', onNotification);
  client.on('error', onLost);
  client.on('end', onLost);
  try {
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
  } catch (error) {
    detach();
    await runner.release();
    throw error;
  }
  return {
    close: async () => {
      detach();
      await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined);
      await runner.release();
    },
  };
}
