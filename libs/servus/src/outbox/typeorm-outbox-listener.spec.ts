import { EventEmitter } from 'node:events';
import { TypeOrmOutboxStore } from './typeorm-outbox.store';
import { TypeOrmDataSourceLike } from './typeorm-shapes';

/** A pg client as the pool hands it out: LISTEN refused (a statement timeout, a server going down). */
class RefusingClient extends EventEmitter {
  constructor() {
    super();
    this.on('error', () => undefined); // the pool's own listener for errors of idle clients
  }

  query(): Promise<never> {
    return Promise.reject(new Error('canceling statement due to statement timeout'));
  }
}

describe('TypeOrmOutboxStore.listen when the LISTEN itself fails', () => {
  it('leaves no handler on the client it returned to the pool: its later end is not reported as a lost listener', async () => {
    const client = new RefusingClient();
    const released = jest.fn(() => Promise.resolve());
    const dataSource = {
      subscribers: [],
      query: () => Promise.resolve([]),
      createQueryRunner: () => ({
        isTransactionActive: false,
        connection: dataSource,
        query: () => Promise.resolve([]),
        connect: () => Promise.resolve(client),
        release: released,
      }),
    } as TypeOrmDataSourceLike;
    const onWake = jest.fn();
    const onError = jest.fn();

    await expect(new TypeOrmOutboxStore(dataSource).listen(onWake, onError)).rejects.toThrow('statement timeout');
    expect(released).toHaveBeenCalledTimes(1);
    // The pool later ends the idle client (idleTimeoutMillis) or another user's query fails on it.
    client.emit('notification', { channel: 'servus_outbox' });
    client.emit('error', new Error('Connection terminated'));
    client.emit('end');
    expect(onError).not.toHaveBeenCalled();
    expect(onWake).not.toHaveBeenCalled();
    expect(['notification', 'error', 'end'].map((event) => client.listenerCount(event))).toEqual([0, 1, 0]);
  });
});
