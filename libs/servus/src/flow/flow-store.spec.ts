import { FlowStore } from './flow-store';

describe('FlowStore after shutdown', () => {
  it('a release asked for after close() (a body that outlived its deadline settling late) rejects and opens no connection', async () => {
    const store = new FlowStore({ connection: { host: '127.0.0.1', port: 1 } }, 'flow-spec');
    await store.close();
    const keys = store.keyNames('svc', 'k');
    await expect(store.release(keys, 'default:1:token', 1, 1000)).rejects.toThrow(
      'Flow control is shut down: its lease runs out by itself',
    );
    await expect(store.renew(keys.holders, 'default:1:token', 1000)).rejects.toThrow(
      'Flow control is shut down: its lease runs out by itself',
    );
    expect((store as unknown as { client?: unknown }).client).toBeUndefined();
  });
});
